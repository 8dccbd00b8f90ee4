"""The import wizard's pages (Account > Import): step 1, the upload and how the file is read, with a preview that
follows the user's settings (htmx); step 2, the column mapping. Admins and members; viewers are refused."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from headwater.core.errors import DomainError
from headwater.deals.models import DealStatus
from headwater.imports import dates, plan, reading, run, selectors, services, spend_import, undo
from headwater.imports.columns import target_by_key
from headwater.imports.forms import (
    DuplicatesForm,
    MappingForm,
    ReadSettingsForm,
    SourceValuesForm,
    SpendUploadForm,
    UndoForm,
    UploadForm,
)
from headwater.imports.models import Import, ImportState
from headwater.imports.samples import template_header
from headwater.jobs.selectors import job_pending
from headwater.records.registry import record_kinds
from headwater.records.tasks import WORD_STARTS_KIND
from headwater.sources.selectors import source_choices
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role


def _place_errors(form: Any, exc: DomainError) -> None:
    placed = False
    for field, errors in exc.fields.items():
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
                placed = True
    if not placed:
        form.add_error(None, exc.message)


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def import_start(request: AccountRequest) -> HttpResponse:
    """Step 1: upload a file; the account's imports below."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            import_, _detected = services.import_upload(
                account=request.account, user=request.user, upload=form.cleaned_data["file"]
            )
        except DomainError as exc:
            _place_errors(form, exc)
        else:
            return redirect("imports:detail", account_slug=request.account.slug, import_id=import_.pk)
    imports = selectors.import_rows(account=request.account)
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/start.html", {"form": form, "imports": imports}, status=status)


def _workspace(
    request: AccountRequest,
    import_: Import,
    *,
    settings_form: ReadSettingsForm | None = None,
    detected: reading.Detected | None = None,
    problem: str = "",
    mapping_form: MappingForm | None = None,
) -> dict[str, Any]:
    if detected is None and not problem:
        try:
            detected = selectors.import_preview(import_=import_)
        except reading.FileProblem as exc:
            problem = exc.message
    if settings_form is None:
        settings_form = ReadSettingsForm(
            initial=ReadSettingsForm.initial_from(import_.settings),
            kind=import_.kind,
            sheets=detected.sheets if detected else (),
        )
    known = target_by_key()
    if mapping_form is None:
        questions, chosen = _date_questions(request, import_)
        mapping_form = MappingForm(columns=import_.columns, mapping=import_.mapping, questions=questions, chosen=chosen)
    shown_state = selectors.import_state(import_=import_)
    return {
        "import": import_,
        "shown_state": shown_state,
        # The account's size may have switched its word starts on or off (records/word_starts.py): a job of its own.
        "search_job": (
            job_pending(account=import_.account, kind=WORD_STARTS_KIND) if shown_state in ("done", "undone") else None
        ),
        "updated_total": sum((import_.results.get("updated") or {}).values()),
        "can_undo": undo.can_undo(import_),
        "settings_form": settings_form,
        "detected": detected,
        "problem": problem,
        "preview": reading.text_preview(detected) if detected else [],
        "mapping_form": mapping_form,
        "mapped": [known[key].display if key in known else "" for key in import_.mapping],
    }


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def import_detail(request: AccountRequest, import_id: int) -> HttpResponse:
    """What was detected in the file, the form to override it (POST: read the file again that way; htmx gets the
    workspace fragment back), the first 20 rows and the guessed column mapping."""
    import_ = selectors.import_get(account=request.account, pk=import_id)
    context: dict[str, Any]
    status = 200
    if request.method == "POST":
        sheets = _sheets(import_)
        form = ReadSettingsForm(request.POST, kind=import_.kind, sheets=sheets)
        if form.is_valid():
            try:
                import_, detected = services.import_update_settings(
                    account=request.account, import_=import_, overrides=form.overrides()
                )
            except reading.FileProblem as exc:
                status = 400
                context = _workspace(request, import_, settings_form=form, problem=exc.message)
            else:
                fresh = ReadSettingsForm(
                    initial=ReadSettingsForm.initial_from(import_.settings), kind=import_.kind, sheets=detected.sheets
                )
                context = _workspace(request, import_, settings_form=fresh, detected=detected)
        else:
            status = 400
            context = _workspace(request, import_, settings_form=form)
    else:
        context = _workspace(request, import_)
    if request.htmx:
        # htmx swaps only successful answers: the fragment carries the form's errors itself.
        return render(request, "imports/_workspace.html", context)
    return render(request, "imports/detail.html", context, status=status)


def _sheets(import_: Import) -> tuple[str, ...]:
    if import_.kind == "csv":
        return ()
    try:
        return selectors.import_preview(import_=import_).sheets
    except reading.FileProblem:
        return (str(import_.settings.get("sheet", "")),)


def _date_questions(
    request: AccountRequest, import_: Import, mapping: list[str | None] | None = None
) -> tuple[dict[int, tuple[str, list[str], list[str]]], dict[int, str]]:
    """The questions of the mapped date columns both day orders read (with the answers stored, else the default of
    the user's language)."""
    probe = import_
    if mapping is not None:
        probe = Import(**{f.attname: getattr(import_, f.attname) for f in Import._meta.concrete_fields})
        probe.mapping = mapping
    language = get_language() or "en"
    stored = {int(i): str(f) for i, f in (import_.settings.get("date_formats") or {}).items()}
    questions: dict[int, tuple[str, list[str], list[str]]] = {}
    chosen: dict[int, str] = {}
    for column in dates.date_columns(probe):
        if column.candidates:
            questions[column.index] = (column.name, column.candidates, column.examples)
            chosen[column.index] = stored.get(column.index) or dates.default_date_format(column.candidates, language)
    return questions, chosen


@account_view(read=None, write=Role.MEMBER)
def import_mapping(request: AccountRequest, import_id: int) -> HttpResponse:
    """Step 2: keep the user's column mapping, and how each ambiguous date column is written."""
    import_ = selectors.import_get(account=request.account, pk=import_id)
    form = MappingForm(request.POST, columns=import_.columns, mapping=import_.mapping)
    if form.is_valid():
        questions, chosen = _date_questions(request, import_, form.mapping())
        form = MappingForm(
            request.POST, columns=import_.columns, mapping=import_.mapping, questions=questions, chosen=chosen
        )
    if form.is_valid():
        try:
            with transaction.atomic():
                services.import_update_mapping(account=request.account, import_=import_, mapping=form.mapping())
                services.import_update_date_formats(
                    account=request.account,
                    import_=import_,
                    chosen=form.date_formats(),
                    language=get_language() or "en",
                    ask=True,
                )
        except DomainError as exc:
            import_.refresh_from_db()
            _place_errors(form, exc)
        else:
            messages.success(request, _("Column mapping saved."))
            return redirect("imports:detail", account_slug=request.account.slug, import_id=import_.pk)
    context = _workspace(request, import_, mapping_form=form)
    return render(request, "imports/detail.html", context, status=400)


@account_view(read=Role.MEMBER, write=None)
def import_template(request: AccountRequest) -> HttpResponse:
    """An empty file with the columns the wizard recognises, in the page's language: UTF-8 with BOM; in Polish split
    by semicolons (what Polish Excel opens in columns), in English by commas."""
    language = (get_language() or "en")[:2]
    buffer = io.StringIO()
    buffer.write("\ufeff")
    delimiter = ";" if language == "pl" else ","
    # The names hold no delimiter, quote or formula sign: written as they are.
    buffer.write(delimiter.join(template_header()) + "\r\n")
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="headwater-import-{language}.csv"'
    return response


# --- Steps 3 to 6 --------------------------------------------------------------------------------------------


def _step_url(name: str, import_: Import) -> str:
    return reverse(f"imports:{name}", kwargs={"account_slug": import_.account.slug, "import_id": import_.pk})


def _editable(request: AccountRequest, import_: Import) -> HttpResponse | None:
    """Once an import runs or has run, its steps are read-only: back to its page."""
    if selectors.import_state(import_=import_) in (ImportState.QUEUED, ImportState.DONE, ImportState.UNDONE):
        messages.info(request, _("This import has already been run; start a new one to import again."))
        return redirect(_step_url("detail", import_))
    return None


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def import_sources(request: AccountRequest, import_id: int) -> HttpResponse:
    """Step 3: each distinct value of the source column, with its row count and its match in the catalogue."""
    import_ = selectors.import_get(account=request.account, pk=import_id)
    if (back := _editable(request, import_)) is not None:
        return back
    try:
        matches = selectors.import_source_matches(account=request.account, import_=import_)
    except reading.FileProblem as exc:
        messages.error(request, exc.message)
        return redirect(_step_url("detail", import_))
    sources = list(source_choices(account=request.account))
    form = SourceValuesForm(request.POST or None, matches=matches, sources=sources, stored=import_.source_choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.import_update_sources(
                account=request.account, user=request.user, import_=import_, choices=form.choices()
            )
        except DomainError as exc:
            _place_errors(form, exc)
        else:
            messages.success(request, _("Source values saved; the account remembers them for later imports."))
            return redirect(_step_url("duplicates", import_))
    rows = [{"match": match, "choice": form[f"value_{i}"], "new": form[f"new_{i}"]} for i, match in enumerate(matches)]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "imports/sources.html",
        {"import": import_, "form": form, "rows": rows, "maps_source": "source" in import_.mapping},
        status=status,
    )


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def import_duplicates(request: AccountRequest, import_id: int) -> HttpResponse:
    """Step 4: skip, fill in or overwrite existing companies and persons; whether their source changes too."""
    import_ = selectors.import_get(account=request.account, pk=import_id)
    if (back := _editable(request, import_)) is not None:
        return back
    initial = {"duplicates": import_.duplicates, "update_existing_source": import_.update_existing_source}
    form = DuplicatesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.import_update_duplicates(
                account=request.account,
                import_=import_,
                mode=form.cleaned_data["duplicates"],
                update_existing_source=form.cleaned_data["update_existing_source"],
            )
        except DomainError as exc:
            _place_errors(form, exc)
        else:
            return redirect(_step_url("preview", import_))
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/duplicates.html", {"import": import_, "form": form}, status=status)


PROBLEMS_ON_PAGE = 100


def _shown(name: str, value: Any) -> str:
    if name == "status" and value in DealStatus.values:
        return str(DealStatus(value).label)
    return str(value)


def _preview_rows(outcome: run.Outcome) -> list[dict[str, Any]]:
    known = target_by_key()
    labels = {
        "new": _("new"),
        "updated": _("updated"),
        "skipped": _("existing, left as it is"),
        "same": _("the same as an earlier row"),
    }
    kind_labels = {kind.noun: capfirst(kind.model._meta.verbose_name) for kind in record_kinds()}
    shown = []
    for entry in outcome.preview:
        records = []
        for kind in plan.KINDS:
            fields = entry["records"].get(kind)
            if not fields:
                continue
            values = [
                f"{known['campaign'].label}: {entry.get('campaign', '')}"
                if name == "campaign_id"
                else f"{known[f'{kind}.{name}'].label if f'{kind}.{name}' in known else name}: {_shown(name, value)}"
                for name, value in fields.items()
            ]
            kind_label = kind_labels.get(kind, kind)
            records.append(
                {
                    "kind": kind_label,
                    "action": labels.get(entry["actions"].get(kind, ""), ""),
                    "values": "; ".join(values),
                }
            )
        shown.append({"number": entry["number"], "records": records})
    return shown


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def import_preview(request: AccountRequest, import_id: int) -> HttpResponse:
    """Step 5: the counts, the first rows as they will be saved and every row error; the run button (POST)."""
    import_ = selectors.import_get(account=request.account, pk=import_id)
    if (back := _editable(request, import_)) is not None:
        return back
    if "date_formats" not in import_.settings:
        # The guessed mapping was never saved: its date columns take the order the columns step offered. Kept
        # only when the import runs: showing the preview writes nothing.
        services.import_update_date_formats(
            account=request.account,
            import_=import_,
            chosen=None,
            language=get_language() or "en",
            ask=False,
            save=request.method == "POST",
        )
    error = ""
    if request.method == "POST":
        try:
            services.import_run(account=request.account, user=request.user, import_=import_)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("The import has started; you may leave this page."))
            return redirect(_step_url("detail", import_))
    try:
        outcome = selectors.import_simulate(import_=import_)
    except reading.FileProblem as exc:
        messages.error(request, exc.message)
        return redirect(_step_url("detail", import_))
    context = {
        "import": import_,
        "outcome": outcome,
        "created": sum(outcome.created.values()),
        "updated": sum(outcome.updated.values()),
        "rows": _preview_rows(outcome),
        "problems": outcome.problems[:PROBLEMS_ON_PAGE],
        "more_problems": max(len(outcome.problems) - PROBLEMS_ON_PAGE, 0) or (outcome.errors > len(outcome.problems)),
        "error": error,
    }
    return render(request, "imports/preview.html", context, status=409 if error else 200)


@account_view(read=Role.MEMBER, write=None)
def import_rejected(request: AccountRequest, import_id: int) -> HttpResponse:
    """The rows with errors as a file to fix and import again, with a column saying what is wrong."""
    import_ = selectors.import_get(account=request.account, pk=import_id)
    try:
        content, name = selectors.import_rejected_rows(
            account=request.account, import_=import_, language=get_language() or "en"
        )
    except reading.FileProblem as exc:
        messages.error(request, exc.message)
        return redirect(_step_url("detail", import_))
    response = HttpResponse(content, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def import_undo(request: AccountRequest, import_id: int) -> HttpResponse:
    """Undo an import: what it would do, the records touched since (the user decides), then the undo, queued as a
    background job (POST) whose progress this page shows; once done, what it did."""
    import_ = selectors.import_get(account=request.account, pk=import_id)
    job = import_.undo_job
    context: dict[str, Any] = {"import": import_, "job": job}
    running = job is not None and not job.is_finished and not job.is_stale()
    if request.method == "POST" and (running or import_.state == ImportState.UNDONE):
        return redirect(_step_url("undo", import_))  # a second click starts no second undo
    if running or import_.state == ImportState.UNDONE:
        context |= {"running": running, "undone": import_.undo_results or {"deleted": 0}}
        return render(request, "imports/undo.html", context)
    if not undo.can_undo(import_):
        refusal = _("Only a finished import run in the last %(days)s days can be undone.") % {"days": undo.UNDO_DAYS}
        if request.method == "POST":
            messages.error(request, refusal)
            return redirect(_step_url("detail", import_))
        return render(request, "imports/undo.html", {**context, "refusal": refusal})
    form = UndoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            undo.import_undo_start(
                account=request.account,
                user=request.user,
                import_=import_,
                keep_touched=form.cleaned_data["touched"] == "keep",
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(_step_url("undo", import_))
    plan_ = undo.undo_plan(account=request.account, import_=import_)
    context |= {
        "form": form,
        "plan": plan_,
        "created": plan_.created_count,
        "touched": plan_.touched[:PROBLEMS_ON_PAGE],
        "failed": job is not None and job.shown_state() == "failed",
    }
    return render(request, "imports/undo.html", context, status=400 if request.method == "POST" else 200)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
def spend_import_page(request: AccountRequest) -> HttpResponse:
    """Account settings > Spend > Import: a spreadsheet of spend, one entry per row, all or nothing
    (imports/spend_import.py). The spend ledger sits below the import, so its import lives here."""
    form = SpendUploadForm(request.POST or None, request.FILES or None)
    row_errors: list[spend_import.RowError] = []
    if request.method == "POST" and form.is_valid():
        try:
            added = spend_import.spend_import(
                account=request.account, user=request.user, upload=form.cleaned_data["file"]
            )
        except spend_import.SpendFileRefused as exc:
            form.add_error(None, exc.message)
            row_errors = exc.errors
        except DomainError as exc:
            _place_errors(form, exc)
        else:
            messages.success(request, _("%(count)s spend entries imported.") % {"count": added})
            return redirect("spend:ledger", account_slug=request.account.slug)
    status = 400 if request.method == "POST" else 200
    context = {"settings_tab": "spend", "form": form, "row_errors": row_errors}
    return render(request, "imports/spend.html", context, status=status)
