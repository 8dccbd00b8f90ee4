"""Reads of the import wizard, scoped to the account."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from headwater.core.models import Account
from headwater.imports import reading
from headwater.imports.models import Import
from headwater.imports.services import import_file_path, overrides_of


def import_list(*, account: Account) -> QuerySet[Import]:
    return Import.objects.for_account(account).select_related("uploaded_by").order_by("-created_at", "-id")


def import_get(*, account: Account, pk: int) -> Import:
    """The account's import; 404 whether it is missing or another account's."""
    import_ = Import.objects.for_account(account).filter(pk=pk).first()
    if import_ is None:
        raise Http404
    return import_


def import_preview(*, import_: Import) -> reading.Detected:
    """The file read with its stored settings: the detected values and the first rows (FileProblem if it fails)."""
    return reading.inspect_file(import_file_path(import_), name=import_.file_name, overrides=overrides_of(import_))
