"""A record list as a file: what the list shows, with its filters and sort, as CSV or XLSX.

The columns are the record's importable fields, from its model (every kind the same way, see `export_columns`):
its own fields in the model's order, then the owner, source, campaign and notes every record has, then the day it was
created; a link by what identifies it (the source by its name, the owner by e-mail, a company or person by its
name). The headers are the fields' names in the user's
language (docs/import-export.md lists them). Values are what the importer reads back: numbers as numbers, a
status as its code ("won"), days as ISO dates.

Large lists stream: the CSV is written while the records are read (an iterator in chunks, in the list's order);
the XLSX is written to a temporary file in xlsxwriter's constant-memory mode, then streamed from it. An XLSX of more
than EXPORT_XLSX_JOB_ROWS records is written by a background job instead (records/tasks.py, `record_export_to`):
the user sees its progress and downloads the file from the job's page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from headwater.campaigns.models import Campaign
from headwater.core.models import Account
from headwater.core.pagination import Ordering
from headwater.core.spreadsheet import BOM, XLSX_CONTENT_TYPE, Cell, XlsxSheet, csv_format_for, csv_line, xlsx_file
from headwater.records.models import CrmRecord
from headwater.records.registry import RecordKind, kind_of
from headwater.sources.models import Source
from headwater.users.models import User

CHUNK_SIZE = 2_000
_Response = TypeVar("_Response", StreamingHttpResponse, FileResponse)
# Columns no import could set: the row's identity, bookkeeping, derived keys.
# How a record was created (its origin) is the system's, not a field a file can set: an import writes its own.
_NOT_EXPORTED = frozenset(
    {"id", "account", "version", "updated_at", "created_by", "search_key", "created_at", "origin", "origin_import_id"}
)


@dataclass(frozen=True)
class ExportColumn:
    """One column: the values it reads (`paths`, for `values_list`: "name", "source__name") and its cell from them."""

    header: str
    paths: tuple[str, ...]
    value: Callable[[Sequence[Any]], Cell]


def _plain(zone: ZoneInfo) -> Callable[[Sequence[Any]], Cell]:
    def value(found: Sequence[Any]) -> Cell:
        one = found[0]
        if isinstance(one, dt.datetime):
            return one.astimezone(zone).replace(microsecond=0)
        if isinstance(one, bool):
            return _("yes") if one else ""
        cell: Cell = one  # the model's field: str, int, Decimal, date or None
        return cell

    return value


def _first(found: Sequence[Any]) -> Cell:
    cell: Cell = found[0]
    return cell


def _link(field: models.ForeignKey[Any, Any]) -> ExportColumn:
    """A link's column: what identifies the linked row in a file (a member's e-mail, a source's or record's name)."""
    name = field.name
    target: Any = field.related_model
    header = str(capfirst(field.verbose_name))
    if target is User:
        return ExportColumn(_("%(field)s e-mail") % {"field": header}, (f"{name}__email",), _first)
    if target is Source or target is Campaign:
        return ExportColumn(header, (f"{name}__name",), _first)
    kind = kind_of(target)

    def linked_name(found: Sequence[Any]) -> Cell:
        # No link: every part is None (a LEFT JOIN); a linked record has a name (its parts may be empty).
        return kind.name_from(found) if any(part is not None for part in found) else None

    return ExportColumn(header, tuple(f"{name}__{part}" for part in kind.name_fields), linked_name)


def export_columns(kind: RecordKind, *, account: Account) -> list[ExportColumn]:
    """The kind's columns, from its model's fields (see the module's docstring); headers in the active language.
    Without sources switched on, no source column."""
    zone = ZoneInfo(account.time_zone)
    columns = []
    # The kind's own fields first (a name leads), then those every record has (owner, source, notes).
    shared = {field.name for field in CrmRecord._meta.get_fields()}
    fields = sorted(kind.model._meta.concrete_fields, key=lambda field: field.name in shared)
    for field in fields:
        if field.name in _NOT_EXPORTED:
            continue
        if isinstance(field, models.ForeignKey):
            if field.related_model in (Source, Campaign) and not account.sources_enabled:
                continue
            columns.append(_link(field))
        else:
            columns.append(ExportColumn(str(capfirst(field.verbose_name)), (field.attname,), _plain(zone)))
    created = next(field for field in kind.model._meta.concrete_fields if field.name == "created_at")
    columns.append(ExportColumn(str(capfirst(created.verbose_name)), ("created_at",), _plain(zone)))
    return columns


def export_rows(
    kind: RecordKind, *, qs: QuerySet[Any], ordering: Ordering, columns: list[ExportColumn]
) -> Iterator[list[Cell]]:
    """The records of `qs` (the list's filtered records) in the list's order, as rows of cells, read in chunks.

    As tuples of values (`values_list`, the links joined), not model instances: a fifth of the time per row."""
    paths = [path for column in columns for path in column.paths]
    spans = []
    start = 0
    for column in columns:
        spans.append((column.value, start, start + len(column.paths)))
        start += len(column.paths)
    rows = qs.order_by(*ordering.order_by(qs.model)).values_list(*paths)
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield [value(row[first:last]) for value, first, last in spans]


def export_filename(kind: RecordKind, account: Account, extension: str) -> str:
    stamp = timezone.localdate(timezone=ZoneInfo(account.time_zone)).isoformat()
    return f"{kind.app}-{account.slug}-{stamp}.{extension}"


def _csv_chunks(header: list[str], rows: Iterator[list[Cell]], language: str | None) -> Iterator[bytes]:
    fmt = csv_format_for(language)
    yield (BOM + csv_line(header, fmt)).encode()
    lines: list[str] = []
    for row in rows:
        lines.append(csv_line(row, fmt))
        if len(lines) >= 500:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def csv_response(*, filename: str, header: list[str], rows: Iterator[list[Cell]]) -> StreamingHttpResponse:
    """A CSV file streamed as its rows are read: UTF-8 with a BOM, the delimiter and decimal mark of the active
    language (read now: the body is written after the view returns)."""
    response = StreamingHttpResponse(_csv_chunks(header, rows, get_language()), content_type="text/csv; charset=utf-8")
    return _attachment(response, filename)


def xlsx_response(*, filename: str, title: str, header: list[str], rows: Iterator[list[Cell]]) -> FileResponse:
    """An XLSX file: written row by row to a temporary file (constant memory), then streamed from it."""

    def write(sheet: XlsxSheet) -> None:
        sheet.writerow(header)
        for row in rows:
            sheet.writerow(row)

    response = FileResponse(xlsx_file(write, title=title), content_type=XLSX_CONTENT_TYPE)
    return _attachment(response, filename)


def _attachment(response: _Response, filename: str) -> _Response:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # One account's records, fetched with a session or a token: no cache on the way keeps them.
    add_never_cache_headers(response)
    return response


def record_export_response(
    kind: RecordKind, *, account: Account, qs: QuerySet[Any], ordering: Ordering, file_format: str
) -> StreamingHttpResponse | FileResponse:
    """The list's file (`file_format` "csv" or "xlsx") for the account's filtered records `qs`."""
    columns = export_columns(kind, account=account)
    header = [column.header for column in columns]
    rows = export_rows(kind, qs=qs, ordering=ordering, columns=columns)
    if file_format == "xlsx":
        title = str(capfirst(kind.model._meta.verbose_name_plural))
        return xlsx_response(filename=export_filename(kind, account, "xlsx"), title=title, header=header, rows=rows)
    return csv_response(filename=export_filename(kind, account, "csv"), header=header, rows=rows)


def record_export_to(
    path: Path,
    kind: RecordKind,
    *,
    account: Account,
    qs: QuerySet[Any],
    ordering: Ordering,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Write the list's XLSX to `path` (constant memory), reporting the rows written; returns how many."""
    columns = export_columns(kind, account=account)
    sheet = XlsxSheet(str(path), title=str(capfirst(kind.model._meta.verbose_name_plural)))
    sheet.writerow([column.header for column in columns])
    written = 0
    for row in export_rows(kind, qs=qs, ordering=ordering, columns=columns):
        sheet.writerow(row)
        written += 1
        if advance is not None:
            advance(written)
    sheet.close()
    return written
