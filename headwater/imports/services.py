"""Writes of the import wizard: storing an uploaded file with what was detected in it, the user's settings and
column mapping. A file that cannot be read leaves nothing behind (no row, no stored file)."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.imports import reading
from headwater.imports.columns import guess_mapping, target_by_key
from headwater.imports.models import Import
from headwater.users.models import User


def import_file_path(import_: Import) -> Path:
    return Path(settings.IMPORT_FILES_DIR) / import_.stored_path


def overrides_of(import_: Import) -> reading.Overrides:
    stored = import_.settings
    return reading.Overrides(
        encoding=stored.get("encoding") or None,
        delimiter=stored.get("delimiter") or None,
        header_row=stored.get("header_row") or None,
        sheet=stored.get("sheet") or None,
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
    import_.settings = detected.settings()
    if columns != import_.columns:
        import_.columns = columns
        import_.mapping = guess_mapping(detected.columns)
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
