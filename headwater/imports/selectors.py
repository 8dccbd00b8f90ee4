"""Reads of the import wizard, scoped to the account."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from headwater.core.models import Account
from headwater.imports import plan, reading
from headwater.imports.models import Import, ImportState
from headwater.imports.services import import_file_path, overrides_of
from headwater.jobs.models import JobState
from headwater.sources.selectors import SourceMatch, source_match_values


def import_list(*, account: Account) -> QuerySet[Import]:
    return (
        Import.objects.for_account(account)
        .select_related("uploaded_by", "run_by", "job")
        .order_by("-created_at", "-id")
    )


def import_get(*, account: Account, pk: int) -> Import:
    """The account's import; 404 whether it is missing or another account's."""
    import_ = Import.objects.for_account(account).select_related("job").filter(pk=pk).first()
    if import_ is None:
        raise Http404
    return import_


def import_preview(*, import_: Import) -> reading.Detected:
    """The file read with its stored settings: the detected values and the first rows (FileProblem if it fails)."""
    return reading.inspect_file(import_file_path(import_), name=import_.file_name, overrides=overrides_of(import_))


def import_state(*, import_: Import) -> str:
    """The state a page shows: a queued import whose job failed (or whose worker died: stale) is failed."""
    if import_.state == ImportState.QUEUED and import_.job is not None:
        shown = import_.job.shown_state()
        if shown == JobState.FAILED:
            return str(ImportState.FAILED)
    return str(import_.state)


def import_status(*, account: Account, pk: int) -> dict[str, Any]:
    """Progress and results of an import (the page and the API): state, rows done of total, counts."""
    import_ = import_get(account=account, pk=pk)
    job = import_.job
    return {
        "id": import_.pk,
        "state": import_state(import_=import_),
        "file_name": import_.file_name,
        "done": job.done if job else 0,
        "total": job.total if job else None,
        "error": job.error if job else "",
        "results": import_.results,
    }


def import_source_matches(*, account: Account, import_: Import) -> list[SourceMatch]:
    """Step 3: every distinct value of the source column, with its row count, matched to the catalogue."""
    return source_match_values(account=account, values=plan.source_values(import_))
