"""The day order of an import's date columns (step 2): "03/04/2025" is the 3rd of April or the 4th of March.

Each mapped date column is decided by its values: the formats (values.DATE_FORMATS) that read every value that some
format reads; one left decides it ("13/04/2025" somewhere in the column: day first). When more than one reads them
all (every day 12 or less), the user answers a question on the columns step, its default from their language.
The choice is stored in the import's settings and applied by every read of the file (reading.read_rows).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from headwater.imports import plan, reading, values
from headwater.imports.columns import target_by_key
from headwater.imports.models import Import
from headwater.records.registry import kind_of


@dataclass(frozen=True)
class DateColumn:
    index: int
    name: str
    decided: str | None  # the one format that reads every value, if one does
    candidates: list[str]  # the formats that read every value (more than one: the user chooses)
    examples: list[str]  # a few of its values, to show with the question


def is_date_target(key: str | None) -> bool:
    if not key or "." not in key:
        return False
    kind, _dot, name = key.partition(".")
    try:
        field = kind_of(kind).model._meta.get_field(name)
    except (LookupError, FieldDoesNotExist):
        return False
    return isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)


def date_columns(import_: Import) -> list[DateColumn]:
    """The mapped date columns with the formats their text values allow (one read of the file; a column decided
    early stops being checked). A file that cannot be read has none: its problem is shown elsewhere."""
    indices = [i for i, key in enumerate(import_.mapping) if is_date_target(key) and key in target_by_key()]
    if not indices:
        return []
    possible: dict[int, set[str] | None] = dict.fromkeys(indices)
    examples: dict[int, list[str]] = {i: [] for i in indices}
    try:
        for row in plan.rows(_without_date_formats(import_)):
            open_ = [i for i in indices if possible[i] is None or len(possible[i] or ()) > 1]
            if not open_:
                break
            for index in open_:
                cell = row.cells[index] if index < len(row.cells) else None
                if not isinstance(cell, str) or not cell.strip():
                    continue
                reads = values.date_formats_reading(cell.strip())
                if not reads:
                    continue  # not a date at all: the row's check names it
                current = possible[index]
                possible[index] = reads if current is None else current & reads or current
                if len(examples[index]) < 3:
                    examples[index].append(cell.strip())
    except reading.FileProblem:
        return []
    found = []
    for index in indices:
        candidates = sorted(possible[index] or (), key=list(values.DATE_FORMATS).index)
        found.append(
            DateColumn(
                index=index,
                name=import_.columns[index] or str(index + 1),
                decided=candidates[0] if len(candidates) == 1 else None,
                candidates=candidates if len(candidates) > 1 else [],
                examples=examples[index],
            )
        )
    return [column for column in found if column.decided or column.candidates]


def _without_date_formats(import_: Import) -> Import:
    """The import read as the file is (the text of its dates), not with a day order chosen before."""
    copy = Import(pk=import_.pk, account_id=import_.account_id, **_file_fields(import_))
    copy.settings = {key: value for key, value in import_.settings.items() if key != "date_formats"}
    return copy


def _file_fields(import_: Import) -> dict[str, object]:
    return {
        "file_name": import_.file_name,
        "stored_path": import_.stored_path,
        "kind": import_.kind,
        "columns": import_.columns,
        "mapping": import_.mapping,
        "size": import_.size,
    }


def default_date_format(candidates: list[str], language: str) -> str:
    """The order a user of `language` writes: day first in Polish (and by default), month first in English."""
    month_first = (language or "")[:2] == "en"
    for name in candidates:
        if name.index("MM") < name.index("DD") if month_first else name.index("DD") < name.index("MM"):
            return name
    return candidates[0]
