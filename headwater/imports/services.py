"""Writes of the import wizard: storing an uploaded file with what was detected in it, the user's settings and
column mapping. A file that cannot be read leaves nothing behind (no row, no stored file)."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from headwater.core.errors import Conflict, NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.imports import reading
from headwater.imports.columns import guess_mapping, target_by_key
from headwater.imports.models import DuplicateMode, Import, ImportState
from headwater.jobs.models import Job
from headwater.jobs.services import job_create, job_enqueue
from headwater.sources.models import Source
from headwater.users.models import User


def import_file_path(import_: Import) -> Path:
    return Path(settings.IMPORT_FILES_DIR) / import_.stored_path


def overrides_of(import_: Import) -> reading.Overrides:
    stored = import_.settings
    formats = stored.get("date_formats") or {}
    return reading.Overrides(
        encoding=stored.get("encoding") or None,
        delimiter=stored.get("delimiter") or None,
        header_row=stored.get("header_row") or None,
        sheet=stored.get("sheet") or None,
        date_formats=tuple(sorted((int(index), str(name)) for index, name in formats.items())),
    )


def import_upload(*, account: Account, user: User, upload: UploadedFile) -> tuple[Import, reading.Detected]:
    """Store the file under a name of ours, read it (FileProblem when it cannot be), record the import with what
    was detected and the guessed column mapping."""
    name = Path(upload.name or "").name
    if upload.size is not None and upload.size > reading.MAX_FILE_BYTES:
        raise reading.FileProblem(
            _("The file has %(size)s MB; at most %(limit)s MB can be imported. Split it into smaller files.")
            % {"size": f"{upload.size / 1024 / 1024:.1f}", "limit": reading.MAX_FILE_BYTES // 1024 // 1024}
        )
    kind = reading.kind_of(name)
    relative = Path(str(account.pk)) / f"{secrets.token_hex(16)}.{kind}"
    target = Path(settings.IMPORT_FILES_DIR) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        detected = reading.inspect_file(target, name=name)
        with transaction.atomic():
            import_ = Import.objects.create(
                account=account,
                uploaded_by=user,
                file_name=name[:255],
                stored_path=str(relative),
                size=target.stat().st_size,
                kind=kind,
                settings=detected.settings(),
                columns=list(detected.columns),
                mapping=guess_mapping(detected.columns),
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return import_, detected


def import_update_settings(
    *, account: Account, import_: Import, overrides: reading.Overrides
) -> tuple[Import, reading.Detected]:
    """Read the file again as the user says; on success keep the settings (and re-guess the mapping when the
    columns changed). FileProblem leaves the import as it was."""
    if import_.account_id != account.pk:
        raise ValidationFailed(_("No such import."))
    detected = reading.inspect_file(import_file_path(import_), name=import_.file_name, overrides=overrides)
    columns = list(detected.columns)
    kept = {key: import_.settings[key] for key in ("date_formats", "date_questions") if key in import_.settings}
    import_.settings = detected.settings()
    if columns != import_.columns:
        import_.columns = columns
        import_.mapping = guess_mapping(detected.columns)
    else:  # the same columns: their dates' day order stays
        import_.settings |= kept
    import_.save(update_fields=["settings", "columns", "mapping"])
    return import_, detected


def import_update_mapping(*, account: Account, import_: Import, mapping: list[str | None]) -> Import:
    """Each column's field (None: ignored); a field may be filled by one column only."""
    if import_.account_id != account.pk:
        raise ValidationFailed(_("No such import."))
    if len(mapping) != len(import_.columns):
        raise ValidationFailed(_("The mapping does not match the file's columns; reload the page."))
    known = target_by_key()
    errors: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    for index, key in enumerate(mapping):
        if key is None:
            continue
        if key not in known:
            errors[f"column_{index}"] = [_("Unknown field.")]
        elif key in seen:
            errors[f"column_{index}"] = [
                _("“%(field)s” is already filled by column %(column)s.")
                % {"field": known[key].display, "column": import_.columns[seen[key]] or seen[key] + 1}
            ]
        else:
            seen[key] = index
    if errors:
        raise ValidationFailed(_("Check the column mapping."), fields=errors)
    import_.mapping = mapping
    import_.save(update_fields=["mapping"])
    return import_


# --- Steps 3, 4 and 6 ----------------------------------------------------------------------------------------


NEW_SOURCE = "new"
NO_SOURCE = "none"


def import_update_sources(
    *, account: Account, user: User, import_: Import, choices: dict[str, tuple[str, str]]
) -> Import:
    """Step 3: each source value -> ("<source id>" | "none" | "new", new source's name). A new source is created
    (sources.services.source_create); every value mapped to a source is remembered as the account's alias of it,
    unless it spells that source's own name. All or nothing."""
    from headwater.sources.selectors import source_match_values  # noqa: PLC0415  # kept beside its one use
    from headwater.sources.services import source_alias_create, source_create  # noqa: PLC0415  # as above

    if import_.account_id != account.pk:
        raise ValidationFailed(_("No such import."))
    sources = {str(source.pk): source for source in Source.objects.for_account(account)}
    stored: dict[str, dict[str, int | None]] = {}
    with transaction.atomic():
        for index, (value, (choice, new_name)) in enumerate(choices.items()):
            if choice == NO_SOURCE:
                stored[value] = {"source": None}
                continue
            if choice == NEW_SOURCE:
                try:
                    source = source_create(account=account, user=user, name=new_name or value)
                except ValidationFailed as exc:
                    raise ValidationFailed(exc.message, fields={f"new_{index}": [exc.message]}) from exc
                sources[str(source.pk)] = source
            elif choice in sources:
                source = sources[choice]
            else:
                raise ValidationFailed(
                    _("Choose a source for “%(value)s”.") % {"value": value},
                    fields={f"value_{index}": [_("Choose a source.")]},
                )
            stored[value] = {"source": source.pk}
            match = source_match_values(account=account, values={value: 1}, fuzzy=False)[0]
            if match.source is None:  # neither its name nor a remembered spelling yet
                source_alias_create(account=account, user=user, source=source, text=value)
        import_.source_choices = stored
        import_.save(update_fields=["source_choices"])
    return import_


def import_update_duplicates(*, account: Account, import_: Import, mode: str, update_existing_source: bool) -> Import:
    """Step 4: what to do with the rows whose company or person exists already."""
    if import_.account_id != account.pk:
        raise ValidationFailed(_("No such import."))
    if mode not in DuplicateMode.values:
        raise ValidationFailed(_("Choose what to do with duplicates."), fields={"duplicates": [_("Choose one.")]})
    import_.duplicates = mode
    import_.update_existing_source = update_existing_source
    import_.save(update_fields=["duplicates", "update_existing_source"])
    return import_


def import_run(*, account: Account, user: User, import_: Import) -> Job:
    """Step 6: queue the import's run as a background job (imports/tasks.py), in one transaction with the import's
    state. Refused while it runs or once it is done; a failed run (or one whose worker died) can run again."""
    from headwater.imports.tasks import RUN_KIND, import_task  # noqa: PLC0415  # the task module imports this one

    with transaction.atomic():
        locked = Import.objects.for_account(account).select_for_update().filter(pk=import_.pk).first()
        if locked is None:
            raise NotFound(_("No such import."))
        if locked.state in (ImportState.DONE, ImportState.UNDONE):
            raise Conflict(_("This import has already been run."))
        if locked.state == ImportState.QUEUED and locked.job is not None:
            job = locked.job
            if not job.is_finished and not job.is_stale():
                raise Conflict(_("This import is already running."))
        if not any(locked.mapping):
            raise ValidationFailed(_("Map at least one column to a field first."))
        job = job_create(account=account, kind=RUN_KIND, label=locked.file_name, user=user)
        locked.job = job
        locked.state = ImportState.QUEUED
        locked.run_by = user
        locked.results = {}
        locked.save(update_fields=["job", "state", "run_by", "results"])
        job_enqueue(job=job, task=import_task, import_id=locked.pk)
    import_.refresh_from_db()
    return job


def import_update_date_formats(
    *, account: Account, import_: Import, chosen: dict[int, str] | None, language: str, ask: bool, save: bool = True
) -> Import:
    """Step 2, the mapped date columns: each column's day order decided from its unambiguous values ("13/04/2025"
    is day first), else the user's choice in `chosen`; unchosen, the default of `language` (day first in Polish,
    month first in English) when not `ask`, else ValidationFailed naming the column's question
    (`date_format_<index>`). Stored in the import's settings: every later read of the file applies it; with `save`
    False only on the instance (a page that shows what would happen writes nothing)."""
    from headwater.imports.dates import date_columns, default_date_format  # noqa: PLC0415  # dates reads via plan

    if import_.account_id != account.pk:
        raise ValidationFailed(_("No such import."))
    decided: dict[str, str] = {}
    questions: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    for column in date_columns(import_):
        if column.decided:
            decided[str(column.index)] = column.decided
            continue
        questions[str(column.index)] = column.candidates
        choice = (chosen or {}).get(column.index)
        if choice in column.candidates:
            decided[str(column.index)] = str(choice)
        elif ask:
            errors[f"date_format_{column.index}"] = [
                _("Choose how the dates of “%(column)s” are written: %(formats)s both read them all.")
                % {"column": column.name, "formats": " / ".join(column.candidates)}
            ]
        else:
            decided[str(column.index)] = default_date_format(column.candidates, language)
    if errors:
        raise ValidationFailed(_("Choose how the dates are written."), fields=errors)
    import_.settings = {**import_.settings, "date_formats": decided, "date_questions": questions}
    if save:
        import_.save(update_fields=["settings"])
    return import_
