"""API: imports. One request does the wizard's steps with the same services as its pages (upload, how to read the
file, column mapping, source values, duplicates), then starts the run as a background job (202) or, with
`dry_run`, answers the preview's counts and row errors and keeps nothing. Admins and members, as the pages."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import File, Form, Query, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from headwater.core.api_errors import validation_fields
from headwater.core.api_pagination import PageParams, api_keyset_page
from headwater.core.api_schemas import IdPath
from headwater.core.errors import ValidationFailed
from headwater.core.pagination import Sorts
from headwater.imports import plan, reading, run, selectors, services, undo
from headwater.imports.dates import date_columns, is_date_target
from headwater.imports.models import Import, ImportState
from headwater.imports.samples import template_header
from headwater.imports.schemas import (
    ImportDryRunOut,
    ImportMappingIn,
    ImportOut,
    ImportPage,
    ImportStartedOut,
    UndoIn,
    UndoOut,
    UndoStartedOut,
)
from headwater.users.api_auth import AccountRouter, account_of, user_of
from headwater.users.models import Role, User

router = AccountRouter(read=Role.MEMBER, write=Role.MEMBER)

IMPORT_ORDERING: Sorts = {"id": ()}
ROW_ERRORS_SHOWN = 100
MAX_MAPPING_CHARS = 100_000


class TemplateParams(Schema):
    language: Literal["pl", "en"] = Field("en", description="The columns' language (pl: split by semicolons).")


def _url(import_id: int) -> str:
    return reverse("api:import_get", kwargs={"import_id": import_id})


def _counts(results: dict[str, Any]) -> dict[str, Any]:
    created = dict(results.get("created") or {})
    updated = dict(results.get("updated") or {})
    return {
        "rows": int(results.get("rows") or 0),
        "new": sum(created.values()),
        "updated": sum(updated.values()),
        "skipped": int(results.get("skipped") or 0),
        "errors": int(results.get("errors") or 0),
        "created_by_kind": created,
        "updated_by_kind": updated,
    }


def _row_errors(problems: list[plan.RowProblem]) -> list[dict[str, Any]]:
    return [
        {"row": problem.number, "column": problem.column, "message": problem.reason}
        for problem in problems[:ROW_ERRORS_SHOWN]
    ]


def _parse_mapping(raw: str | None) -> ImportMappingIn:
    if raw is None or not raw.strip():
        return ImportMappingIn.model_validate({})
    if len(raw) > MAX_MAPPING_CHARS:
        raise ValidationFailed.on("mapping", _("At most %(max)d characters.") % {"max": MAX_MAPPING_CHARS})
    try:
        return ImportMappingIn.model_validate_json(raw)
    except PydanticValidationError as exc:
        errors = [dict(err) for err in exc.errors(include_url=False)]
        if any(err.get("type") == "json_invalid" for err in errors):
            raise ValidationFailed.on("mapping", _("The mapping is not valid JSON.")) from None
        if any(not err.get("loc") for err in errors):
            raise ValidationFailed.on("mapping", _("Send an object.")) from None
        fields = {f"mapping.{name}": messages for name, messages in validation_fields(errors).items()}
        raise ValidationFailed(_("Check the mapping."), fields=fields) from None


def _overrides(mapping: ImportMappingIn) -> reading.Overrides | None:
    if mapping.encoding is None and mapping.delimiter is None and mapping.header_row is None and mapping.sheet is None:
        return None
    delimiter = "\t" if mapping.delimiter == "tab" else mapping.delimiter
    return reading.Overrides(
        encoding=mapping.encoding, delimiter=delimiter, header_row=mapping.header_row, sheet=mapping.sheet
    )


def _column_mapping(import_: Import, columns: dict[str, str | None]) -> list[str | None]:
    """The file's columns by name -> the services' list (one key or None per column)."""
    result: list[str | None] = [None] * len(import_.columns)
    errors: dict[str, list[str]] = {}
    for name, key in columns.items():
        if name not in import_.columns:
            errors[f"mapping.columns.{name}"] = [
                _("The file has no column “%(name)s”; its columns: %(columns)s.")
                % {"name": name, "columns": ", ".join(str(column) for column in import_.columns)}
            ]
            continue
        result[import_.columns.index(name)] = key or None
    if errors:
        raise ValidationFailed(_("Check the column mapping."), fields=errors)
    return result


def _date_formats(import_: Import, sent: Mapping[str, str]) -> dict[int, str] | None:
    """`mapping.date_formats` (column name -> format) as the services' choices by column index; a column that is
    not a mapped date column, or a format that does not read every one of its dates, is refused by name."""
    if not sent:
        return None
    columns = {column.index: column for column in date_columns(import_)}
    mapped = {i for i, key in enumerate(import_.mapping) if is_date_target(key)}
    chosen: dict[int, str] = {}
    errors: dict[str, list[str]] = {}
    for name, wanted in sent.items():
        path = f"mapping.date_formats.{name}"
        index = import_.columns.index(name) if name in import_.columns else -1
        if index not in mapped:
            errors[path] = [_("“%(name)s” is not a column mapped to a date field.") % {"name": name}]
            continue
        column = columns.get(index)
        readable = ([column.decided] if column.decided else column.candidates) if column else []
        if column is not None and wanted not in readable:
            errors[path] = [
                _("The dates of “%(name)s” do not all read as %(format)s; they read as %(formats)s.")
                % {"name": name, "format": wanted, "formats": " / ".join(readable)}
            ]
            continue
        chosen[index] = wanted  # a column without a date written as text reads the same whatever the order
    if errors:
        raise ValidationFailed(_("Check the date formats."), fields=errors)
    return chosen


def _mapping_errors(exc: ValidationFailed, import_: Import) -> ValidationFailed:
    """The service names a column by its form field (`column_3`); the API by the JSON path of its name."""
    fields: dict[str, list[str]] = {}
    for name, messages in exc.fields.items():
        index = name.removeprefix("column_")
        if index.isdigit() and int(index) < len(import_.columns):
            fields[f"mapping.columns.{import_.columns[int(index)]}"] = messages
        else:
            fields[f"mapping.{name}"] = messages
    return ValidationFailed(exc.message, fields=fields or {"mapping.columns": [exc.message]})


def _source_choices(
    request: HttpRequest, import_: Import, mapping: ImportMappingIn
) -> dict[str, tuple[str, str]] | None:
    """Step 3's choices as the page's form gives them: a value left out keeps the page's initial choice."""
    if "source" not in import_.mapping:
        if mapping.sources:
            raise ValidationFailed.on("mapping.sources", _("No column is mapped to the source."))
        return None
    matches = selectors.import_source_matches(account=account_of(request), import_=import_)
    values = {match.value for match in matches}
    unknown = [value for value in mapping.sources if value not in values]
    if unknown:
        raise ValidationFailed(
            _("Check the source values."),
            fields={
                f"mapping.sources.{value}": [_("No row has this value in the source column.")] for value in unknown
            },
        )
    choices: dict[str, tuple[str, str]] = {}
    for match in matches:
        if match.value in mapping.sources:
            sent = mapping.sources[match.value]
            if sent is None or (sent.source_id is None and sent.new_source is None):
                choices[match.value] = (services.NO_SOURCE, "")
            elif sent.source_id is not None and sent.new_source is not None:
                raise ValidationFailed.on(
                    f"mapping.sources.{match.value}", _("Send either source_id or new_source, not both.")
                )
            elif sent.new_source is not None:
                choices[match.value] = (services.NEW_SOURCE, sent.new_source)
            else:
                choices[match.value] = (str(sent.source_id), "")
        elif match.source is not None and not match.source.archived:
            choices[match.value] = (str(match.source.pk), "")
        else:
            choices[match.value] = (services.NO_SOURCE, "")
    return choices


def _sources_errors(exc: ValidationFailed, choices: dict[str, tuple[str, str]]) -> ValidationFailed:
    values = list(choices)
    fields: dict[str, list[str]] = {}
    for name, messages in exc.fields.items():
        index = name.rpartition("_")[2]
        value = values[int(index)] if index.isdigit() and int(index) < len(values) else name
        fields[f"mapping.sources.{value}"] = messages
    return ValidationFailed(exc.message, fields=fields or {"mapping.sources": [exc.message]})


def _rows_refused(outcome: run.Outcome) -> ValidationFailed:
    """`valid_rows_only: false` and some rows have errors: each named by its row number, as bulk operations do."""
    rows: dict[str, dict[str, list[str]]] = {}
    for problem in outcome.problems[:ROW_ERRORS_SHOWN]:
        rows.setdefault(str(problem.number), {}).setdefault(problem.column or "__all__", []).append(problem.reason)
    message = ngettext(
        "%(count)s row has errors; nothing was imported.",
        "%(count)s rows have errors; nothing was imported.",
        outcome.errors,
    ) % {"count": outcome.errors}
    return ValidationFailed(message, fields={"rows": rows})  # type: ignore[dict-item]  # the bulk shape: rows by number


class _DryRunDone(Exception):  # a signal, not an error: rolls back a dry run's writes
    def __init__(self, outcome: run.Outcome) -> None:
        super().__init__("dry run")
        self.outcome = outcome


def _prepare(request: HttpRequest, import_: Import, mapping: ImportMappingIn) -> Import:
    """The wizard's steps 2 to 4 on an uploaded file, with the pages' services; a refusal names the JSON path."""
    account, user = account_of(request), user_of(request)
    overrides = _overrides(mapping)
    if overrides is not None:
        import_, _detected = services.import_update_settings(account=account, import_=import_, overrides=overrides)
    if mapping.columns is not None:
        wanted = _column_mapping(import_, mapping.columns)
        try:
            services.import_update_mapping(account=account, import_=import_, mapping=wanted)
        except ValidationFailed as exc:
            raise _mapping_errors(exc, import_) from None
    if not any(import_.mapping):
        raise ValidationFailed.on("mapping.columns", _("Map at least one column to a field first."))
    # Ambiguous date columns (both day orders read every value) take the order sent, else the request language's.
    services.import_update_date_formats(
        account=account,
        import_=import_,
        chosen=_date_formats(import_, mapping.date_formats),
        language=translation.get_language() or "en",
        ask=False,
    )
    choices = _source_choices(request, import_, mapping)
    if choices is not None:
        try:
            services.import_update_sources(account=account, user=user, import_=import_, choices=choices)
        except ValidationFailed as exc:
            raise _sources_errors(exc, choices) from None
    services.import_update_duplicates(
        account=account,
        import_=import_,
        mode=mapping.duplicates,
        update_existing_source=mapping.update_existing_source,
    )
    return import_


@router.post(
    "",
    response={202: ImportStartedOut, 200: ImportDryRunOut},
    summary="Import a file (CSV, XLSX, ODS): multipart `file` and `mapping` (JSON); starts a background job",
)
def import_create(
    request: HttpRequest,
    response: HttpResponse,
    file: File[UploadedFile | None] = None,
    mapping: Form[str | None] = None,
    dry_run: Form[bool] = False,
) -> Status[dict[str, Any]]:
    """Every step of the wizard in one request. A refused file or mapping answers 400 naming the field (`file`,
    `mapping.columns.<name>`, `mapping.sources.<value>`, ...) and keeps nothing: no import, no stored file, no
    source. `dry_run=true` answers the preview (counts, row errors) and keeps nothing either."""
    if file is None:
        raise ValidationFailed.on("file", _("Attach the file to import (multipart field “file”)."))
    parsed = _parse_mapping(mapping)
    account, user = account_of(request), user_of(request)
    import_: Import | None = None
    try:
        with transaction.atomic():
            import_, _detected = services.import_upload(account=account, user=user, upload=file)
            import_ = _prepare(request, import_, parsed)
            if dry_run or not parsed.valid_rows_only:
                outcome = selectors.import_simulate(import_=import_)
                if dry_run:
                    raise _DryRunDone(outcome)
                if outcome.errors:
                    raise _rows_refused(outcome)
            services.import_run(account=account, user=user, import_=import_)
    except _DryRunDone as done:
        _discard(import_)
        outcome = done.outcome
        results = outcome.as_results()
        return Status(
            200,
            {
                "dry_run": True,
                "counts": _counts(results),
                "row_errors": _row_errors(outcome.problems),
                "row_errors_count": outcome.errors,
            },
        )
    except BaseException:
        _discard(import_)
        raise
    import_.refresh_from_db()
    url = request.build_absolute_uri(_url(import_.pk))
    response["Location"] = url
    return Status(202, {"id": import_.pk, "state": selectors.import_state(import_=import_), "url": url})


def _discard(import_: Import | None) -> None:
    """The transaction took back the rows; the stored file is ours to remove."""
    if import_ is not None:
        services.import_file_path(import_).unlink(missing_ok=True)


@router.get("", response=ImportPage, summary="List the account's imports, newest first")
def import_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    qs = selectors.import_list(account=account_of(request)).order_by("-id")
    listed = api_keyset_page(qs, sorts=IMPORT_ORDERING, ordering="-id", page=page)
    listed["items"] = [
        {
            "id": item.pk,
            "file_name": item.file_name,
            "state": selectors.import_state(import_=item),
            "counts": _counts(item.results or {}),
            "created_at": item.created_at,
            "finished_at": item.finished_at,
        }
        for item in listed["items"]
    ]
    return listed


@router.get(
    "/template",
    summary="The template file (CSV) with the columns the import recognises, in Polish or English",
    response={200: None},
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
def import_template(request: HttpRequest, params: Query[TemplateParams]) -> HttpResponse:
    language = params.language
    with translation.override(language):
        header = template_header()
    delimiter = ";" if language == "pl" else ","
    buffer = io.StringIO()
    buffer.write("\ufeff")
    buffer.write(delimiter.join(header) + "\r\n")
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="headwater-import-{language}.csv"'
    return response


@router.get("/{import_id}", response=ImportOut, summary="An import's state, progress, counts and row errors")
def import_get(request: HttpRequest, import_id: IdPath) -> dict[str, Any]:
    account = account_of(request)
    status = selectors.import_status(account=account, pk=import_id)
    import_ = selectors.import_get(account=account, pk=import_id)
    job = import_.job
    rate = None
    if job is not None and job.started_at is not None and job.done:
        end = job.finished_at or job.heartbeat_at or job.started_at
        seconds = (end - job.started_at).total_seconds()
        rate = round(job.done / seconds, 1) if seconds > 0 else None
    try:
        problems = selectors.import_row_problems(account=account, import_=import_, limit=ROW_ERRORS_SHOWN)
    except reading.FileProblem:
        problems = []
    counts = _counts(status["results"] or {})
    users = {user.pk: user for user in _users(import_)}
    return {
        "id": import_.pk,
        "file_name": import_.file_name,
        "state": status["state"],
        "progress": {"done": status["done"], "total": status["total"], "rate": rate},
        "counts": counts,
        "row_errors": _row_errors(problems),
        "row_errors_count": counts["errors"],
        "error": status["error"] if status["state"] == ImportState.FAILED else "",
        "uploaded_by": _name(users.get(import_.uploaded_by_id or 0)),
        "run_by": _name(users.get(import_.run_by_id or 0)),
        "created_at": import_.created_at,
        "started_at": job.started_at if job else None,
        "finished_at": import_.finished_at,
    }


def _undo_url(import_id: int) -> str:
    return reverse("api:import_undo_get", kwargs={"import_id": import_id})


@router.get("/{import_id}/undo", response=UndoOut, summary="What undoing an import would do, or its undo's progress")
def import_undo_get(request: HttpRequest, import_id: IdPath) -> dict[str, Any]:
    """The records the undo deletes and restores, the ones touched since (listed for the caller to decide), and the
    last undo's job: its progress, its error (a failed undo changed nothing) or what it did."""
    account = account_of(request)
    import_ = selectors.import_get(account=account, pk=import_id)
    can = undo.can_undo(import_)
    plan_ = undo.undo_plan(account=account, import_=import_) if can else None
    job = import_.undo_job
    state = job.shown_state() if job is not None else None
    return {
        "import_id": import_.pk,
        "state": selectors.import_state(import_=import_),
        "can_undo": can,
        "deadline": undo.undo_deadline(import_) if can else None,
        "created": plan_.created_count if plan_ else 0,
        "updated": len(plan_.updated) if plan_ else 0,
        "touched": [
            {"kind": t.kind, "id": t.record_id, "name": t.name, "why": t.why} for t in (plan_.touched if plan_ else [])
        ],
        "job_state": state,
        "progress": {"done": job.done, "total": job.total, "rate": job.rate()} if job is not None else None,
        "error": job.error if job is not None and state == "failed" else "",
        "results": import_.undo_results or None,
    }


@router.post(
    "/{import_id}/undo",
    response={202: UndoStartedOut},
    summary="Undo an import (within 30 days of its run): starts a background job",
)
def import_undo_start(
    request: HttpRequest, response: HttpResponse, import_id: IdPath, body: UndoIn
) -> Status[dict[str, Any]]:
    """409 when the import cannot be undone (not run, undone, older than 30 days) or an undo of it is running."""
    account = account_of(request)
    import_ = selectors.import_get(account=account, pk=import_id)
    job = undo.import_undo_start(
        account=account, user=user_of(request), import_=import_, keep_touched=body.touched == "keep"
    )
    job.refresh_from_db()
    url = request.build_absolute_uri(_undo_url(import_.pk))
    response["Location"] = url
    return Status(202, {"import_id": import_.pk, "job_state": job.shown_state(), "url": url})


def _users(import_: Import) -> list[User]:
    return list(User.objects.filter(pk__in=[pk for pk in (import_.uploaded_by_id, import_.run_by_id) if pk]))


def _name(user: Any) -> str | None:
    return str(user.display_name) if user is not None else None
