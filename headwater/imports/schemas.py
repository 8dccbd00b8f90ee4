"""API shapes of imports: the `mapping` JSON sent beside the file, a started import, its progress and results."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

ENCODINGS = Literal["utf-8", "utf-8-sig", "cp1250", "iso-8859-2", "utf-16"]
DELIMITERS = Literal[";", ",", "tab"]
# values.DATE_FORMATS' names (a test keeps the two the same).
DATE_FORMAT_NAMES = Literal[
    "YYYY-MM-DD", "DD.MM.YYYY", "DD/MM/YYYY", "MM/DD/YYYY", "DD-MM-YYYY", "YYYY/MM/DD", "YYYY.MM.DD"
]


class SourceChoiceIn(Schema):
    """What one value of the file's source column means: an existing source, a new one, or (both empty) none."""

    model_config = ConfigDict(extra="forbid")

    source_id: int | None = Field(None, ge=1, description="An existing source of the account.")
    new_source: str | None = Field(
        None, min_length=1, max_length=100, description="Create a source of this name for the value."
    )


class ImportMappingIn(Schema):
    """The `mapping` form field, as JSON. Everything is optional: what is left out is what the wizard detects or
    guesses (the page's defaults)."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str | None] | None = Field(
        None,
        description=(
            "The file's column name -> a field key (`company.name`, `person.email`, `deal.value`, `source`, `owner`, "
            "`campaign` (by name, of the row's source), ...), null to ignore it. "
            "Sent: the columns not named are ignored. Left out: the guessed mapping."
        ),
    )
    encoding: ENCODINGS | None = Field(None, description="A CSV's encoding; detected when left out.")
    delimiter: DELIMITERS | None = Field(None, description="A CSV's delimiter; detected when left out.")
    header_row: int | None = Field(None, ge=1, le=1000, description="The header's row number (1-based).")
    sheet: str | None = Field(None, max_length=200, description="A workbook's sheet; the first when left out.")
    date_formats: dict[str, DATE_FORMAT_NAMES] = Field(
        default_factory=dict,
        description=(
            "A date column's name -> how its dates are written, where both day orders read every value "
            "(03/04/2025). A column left out takes the request language's order (`Accept-Language`: day first in "
            "Polish, month first in English); a format that does not read every value of the column is refused."
        ),
    )
    sources: dict[str, SourceChoiceIn | None] = Field(
        default_factory=dict,
        description=(
            "Each value of the source column -> `{source_id}`, `{new_source}` or null (no source). A value left out "
            "gets the source it matches (name or remembered spelling), else none."
        ),
    )
    duplicates: Literal["skip", "fill", "overwrite"] = Field(
        "skip", description="An existing company or person: skip the row's record, fill its empty fields, overwrite."
    )
    update_existing_source: bool = Field(False, description="Also change the source of existing records.")
    valid_rows_only: bool = Field(
        True, description="Import the valid rows and skip the others; false: refuse (400) if any row has an error."
    )


class RowErrorOut(Schema):
    row: int = Field(description="The row's number in the file (as a spreadsheet numbers it).")
    column: str
    message: str


class CountsOut(Schema):
    rows: int = 0
    new: int = 0
    updated: int = 0
    skipped: int = 0
    errors: int = Field(0, description="Rows with an error (not imported).")
    created_by_kind: dict[str, int] = Field(default_factory=dict)
    updated_by_kind: dict[str, int] = Field(default_factory=dict)


class ImportStartedOut(Schema):
    id: int
    state: str
    url: str = Field(description="The import's address (absolute): poll it (GET) for the progress and results.")


class ImportDryRunOut(Schema):
    dry_run: bool = True
    counts: CountsOut
    row_errors: list[RowErrorOut]
    row_errors_count: int = Field(description="Rows with an error; `row_errors` lists the first problems.")


class ProgressOut(Schema):
    done: int
    total: int | None
    rate: float | None = Field(description="Rows per second so far.")


class ImportOut(Schema):
    id: int
    file_name: str
    state: str = Field(description="uploaded, queued (running), done, failed, undone.")
    progress: ProgressOut
    counts: CountsOut
    row_errors: list[RowErrorOut]
    row_errors_count: int
    error: str = Field(description="Why the run failed, if it did.")
    uploaded_by: str | None
    run_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportListItemOut(Schema):
    id: int
    file_name: str
    state: str
    counts: CountsOut
    created_at: datetime
    finished_at: datetime | None


class ImportPage(Schema):
    items: list[ImportListItemOut]
    next: str | None


class UndoIn(Schema):
    model_config = ConfigDict(extra="forbid")

    touched: Literal["keep", "undo"] = Field(
        "keep",
        description="The records touched since the import (see GET): keep them as they are, or undo them too.",
    )


class TouchedOut(Schema):
    kind: str = Field(description="company, person or deal.")
    id: int
    name: str
    why: str


class UndoResultsOut(Schema):
    deleted: int = 0
    restored: int = 0
    kept: int = 0


class UndoOut(Schema):
    import_id: int
    state: str = Field(description="The import's state: done (can be undone), undone, ...")
    can_undo: bool
    deadline: datetime | None = Field(description="Until when it can be undone.")
    created: int = Field(description="Records the import created: the undo deletes them.")
    updated: int = Field(description="Records the import changed: the undo gives their fields back.")
    touched: list[TouchedOut] = Field(description="Records touched since the import: the caller decides.")
    job_state: str | None = Field(description="The last undo's job: queued, running, done, failed (None: none yet).")
    progress: ProgressOut | None
    error: str = Field(description="Why the last undo failed, if it did (it then changed nothing).")
    results: UndoResultsOut | None = Field(description="What the undo did, once done.")


class UndoStartedOut(Schema):
    import_id: int
    job_state: str
    url: str = Field(description="The undo's address (absolute): poll it (GET) for the progress and results.")
