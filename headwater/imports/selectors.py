"""Reads of the import wizard, scoped to the account."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from headwater.core.models import Account
from headwater.core.spreadsheet import csv_format_for
from headwater.imports import plan, reading, run
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


def import_simulate(*, import_: Import) -> run.Outcome:
    """Step 5: what the run would do now (counts, the first rows as saved, the row problems), from the same code
    with its writes left out (FileProblem when the file cannot be read)."""
    return run.import_execute(import_id=import_.pk, dry_run=True)


def import_rejected_rows(*, account: Account, import_: Import, language: str) -> tuple[bytes, str]:
    """The rows with a problem, as a CSV file that can be fixed and imported again: the file's own columns (a CSV in
    its own encoding and delimiter; a workbook's as UTF-8 CSV in the reader's spreadsheet convention), then a column
    saying what is wrong. (file content, file name)."""
    ctx = plan.context_for(account=account, import_=import_, default_owner_id=import_.uploaded_by_id)
    if import_.kind == "csv":
        encoding = str(import_.settings.get("encoding") or "utf-8")
        delimiter = str(import_.settings.get("delimiter") or ",")
    else:
        encoding, delimiter = "utf-8-sig", csv_format_for(language).delimiter
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([*import_.columns, _("Import error")])
    for row in plan.rows(import_):
        row_plan = plan.plan_row(row, ctx)
        if row_plan.problems:
            reason = "; ".join(
                f"{problem.column}: {problem.reason}" if problem.column else problem.reason
                for problem in row_plan.problems
            )
            writer.writerow([reading.cell_text(cell) for cell in row.cells] + [reason])
    stem = Path(import_.file_name).stem or "import"
    return out.getvalue().encode(encoding, errors="replace"), f"{stem}-rejected.csv"


def import_rows(*, account: Account, limit: int = 100) -> list[Import]:
    """The account's import list: each import with its shown state and its counts' totals."""
    labels = dict(ImportState.choices)
    imports = list(import_list(account=account)[:limit])
    for item in imports:
        state = import_state(import_=item)
        results = item.results or {}
        item.shown_state = state  # type: ignore[attr-defined]  # display attributes for the list's template
        item.shown_state_label = labels.get(state, state)  # type: ignore[attr-defined]  # as above
        item.created_total = sum((results.get("created") or {}).values())  # type: ignore[attr-defined]  # as above
        item.updated_total = sum((results.get("updated") or {}).values())  # type: ignore[attr-defined]  # as above
    return imports


def import_row_problems(*, account: Account, import_: Import, limit: int) -> list[plan.RowProblem]:
    """The first `limit` row problems of a run import (the API's results), read from the file again; stops as soon
    as it has them. None for an import not yet run."""
    if import_.state == ImportState.UPLOADED or not (import_.results or {}).get("errors"):
        return []
    ctx = plan.context_for(
        account=account, import_=import_, default_owner_id=import_.run_by_id or import_.uploaded_by_id
    )
    found: list[plan.RowProblem] = []
    for row in plan.rows(import_):
        found.extend(plan.plan_row(row, ctx).problems)
        if len(found) >= limit:
            break
    return found[:limit]
