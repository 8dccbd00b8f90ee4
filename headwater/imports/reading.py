"""Reading an uploaded file: CSV (any of the encodings Polish spreadsheets write), XLSX and ODS.

`inspect_file` looks at the file once and says what it found (its kind, encoding, delimiter, header row, sheets),
taking the user's overrides for any of them; `read_rows` then streams its data rows. Every problem is a
`FileProblem` with a specific, translated message (which row, which byte), raised before anything is written.

A CSV file is read line by line from the disk (memory stays flat in the file's size); a workbook goes through
`python-calamine`, after its zip directory was checked (a zip bomb is refused before calamine opens it).
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal, NamedTuple, cast

import charset_normalizer
import python_calamine
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from headwater.core.errors import ValidationFailed
from headwater.core.spreadsheet import restore_neutralised
from headwater.imports.values import parse_date_as

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767  # Excel's own limit for a cell: a longer field is a quote left open
# A workbook's parts, uncompressed, as its zip directory declares them: XML compresses 5-20 times, a 50 MB workbook
# never needs more than this; a zip bomb declares gigabytes (or a part that grew a thousandfold).
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
SNIFF_LINES = 50
HEADER_SEARCH_ROWS = 20

Kind = Literal["csv", "xlsx", "ods"]
KINDS: tuple[Kind, ...] = ("csv", "xlsx", "ods")
DELIMITERS = (";", ",", "\t")
# What the user may choose; the names are Python's codec names.
ENCODINGS = ("utf-8", "utf-8-sig", "cp1250", "iso-8859-2", "utf-16")

CellValue = str | int | float | bool | date | datetime | time | timedelta | None


class FileProblem(ValidationFailed):
    """The file cannot be imported as it is: the message says why and where."""

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={"file": [message]})


@dataclass(frozen=True)
class Overrides:
    """What the user set by hand; None: detect it."""

    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None  # 1-based, as a spreadsheet numbers rows
    sheet: str | None = None
    # The day order of date columns (decided from their values or by the user): (column index, format name).
    date_formats: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Detected:
    """What `inspect_file` found (or was told), shown to the user and stored with the import."""

    kind: Kind
    header_row: int
    columns: tuple[str, ...]
    encoding: str = ""  # CSV only
    delimiter: str = ""  # CSV only
    sheet: str = ""  # XLSX/ODS only
    sheets: tuple[str, ...] = ()
    preview: tuple[tuple[CellValue, ...], ...] = field(default=(), compare=False)
    # See Overrides.date_formats: `read_rows` gives those columns' text cells that read as a day as dates.
    date_formats: tuple[tuple[int, str], ...] = field(default=(), compare=False)

    def settings(self) -> dict[str, str | int]:
        return {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_row": self.header_row,
            "sheet": self.sheet,
        }


class Row(NamedTuple):
    """One data row. A named tuple rather than a frozen dataclass: made for every row of a file, and a frozen
    dataclass's __init__ sets each field through object.__setattr__."""

    number: int  # the row's number in the file (the line a CSV row starts on; the sheet's row)
    cells: tuple[CellValue, ...]


# --- the kind of file --------------------------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_BINARY_MAGIC = {
    b"PK\x03\x04": "ZIP",
    b"%PDF": "PDF",
    b"\x89PNG": "PNG",
    b"GIF8": "GIF",
    b"\xff\xd8\xff": "JPEG",
    b"MZ": "EXE",
    b"\xd0\xcf\x11\xe0": "XLS",  # the old binary Excel format (OLE): calamine could read it, we ask for XLSX
    b"\x1f\x8b": "GZIP",
    b"7z\xbc\xaf": "7Z",
    b"Rar!": "RAR",
}


def kind_of(name: str) -> Kind:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in {"txt", "tsv"}:
        return "csv"
    if suffix not in KINDS:
        raise FileProblem(_("Upload a CSV, XLSX or ODS file (this one is “.%(suffix)s”).") % {"suffix": suffix})
    return suffix  # type: ignore[return-value]  # checked against KINDS just above


def _check_size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FileProblem(_("The uploaded file is no longer there: upload it again.")) from None
    if size == 0:
        raise FileProblem(_("The file is empty."))
    if size > MAX_FILE_BYTES:
        raise FileProblem(
            _("The file has %(size)s MB; at most %(limit)s MB can be imported. Split it into smaller files.")
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": MAX_FILE_BYTES // 1024 // 1024}
        )
    return size


def _check_workbook_zip(path: Path, kind: Kind) -> None:
    """A workbook is a zip: refuse one that is not, and a zip bomb, from its directory alone (nothing inflated)."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != _ZIP_MAGIC:
        raise FileProblem(
            _("The file is named .%(kind)s but is not a spreadsheet of that kind (it is not a zip archive).")
            % {"kind": kind}
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise FileProblem(
            _("The file is named .%(kind)s but is damaged or not a spreadsheet.") % {"kind": kind}
        ) from None
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise FileProblem(
            _("The workbook would unpack to %(size)s MB, more than the %(limit)s MB we open: it is refused.")
            % {"size": f"{total / 1024 / 1024:,.0f}", "limit": MAX_UNCOMPRESSED_BYTES // 1024 // 1024}
        )
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise FileProblem(
                _("The workbook's part %(part)s is compressed %(ratio)s times, as only a zip bomb is: refused.")
                % {"part": info.filename, "ratio": f"{info.file_size // max(info.compress_size, 1):,}"}
            )


def _check_text(head: bytes) -> None:
    """Refuse a binary file named .csv: a known signature, or NUL bytes (not UTF-16, whose BOM was seen first)."""
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise FileProblem(
                _("The file is named .csv but is a %(what)s file, not text. Save the sheet as CSV and upload that.")
                % {"what": what}
            )
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    if b"\x00" in head or controls > max(8, len(head) // 100):
        raise FileProblem(_("The file is named .csv but holds binary data, not text."))


# --- encodings ---------------------------------------------------------------------------------------------------

# Windows-1250 (what Polish Excel writes with "CSV") and ISO-8859-2 (older Unix and web tools) share most Polish
# letters (ó ł ż ć ę ń and their capitals sit at the same bytes) but place six apart. Windows-1250 has ś ź ą Ś Ź Ą at
# 0x9C 0x9F 0xB9 0x8C 0x8F 0xA5; ISO-8859-2 has them at 0xB6 0xBC 0xB1 0xA6 0xAC 0xA1, where Windows-1250 puts
# rarely typed signs (¶ Ľ ± ¦ ¬ ˇ). And 0x80-0x9F are control codes in ISO-8859-2 that no tool writes into text.
# A short file gives a statistical detector too little to go on (charset-normalizer takes a few words of
# ISO-8859-2 for ISO-8859-10), so we count these bytes: whichever set appears more decides. Neither appearing, the
# two agree on every letter in the file and Windows-1250 is as good as the other.
_CP1250_ONLY = frozenset(b"\x8c\x8f\x9c\x9f\xa5\xb9") | frozenset(range(0x80, 0xA0))
_ISO_8859_2_ONLY = frozenset(b"\xa1\xa6\xac\xb1\xb6\xbc")
_SINGLE_BYTE_FAMILY = {"cp1250", "iso8859_2", "cp1252", "latin_1", "iso8859_15", "iso8859_10", "mac_latin2", "cp852"}
_DETECT_BYTES = 256 * 1024


def _decode_problem(path: Path, encoding: str) -> tuple[int, int, int] | None:
    """(line, byte offset in the file, the byte) of the first sequence `encoding` cannot decode; None when it all
    decodes. Reads line by line: memory stays flat."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with path.open("rb") as handle:
        for line_number, line in enumerate(handle, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as exc:
                return line_number, offset + exc.start, line[exc.start]
            offset += len(line)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line_number, offset, 0
    return None


def detect_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(_DETECT_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # UTF-8 first: bytes that are not text in it almost never decode as UTF-8 by chance.
    if _decode_problem(path, "utf-8") is None:
        return "utf-8"
    counts = Counter(head)
    cp1250 = sum(counts[byte] for byte in _CP1250_ONLY)
    iso = sum(counts[byte] for byte in _ISO_8859_2_ONLY)
    if cp1250 or iso:
        return "cp1250" if cp1250 >= iso else "iso-8859-2"
    best = charset_normalizer.from_bytes(head).best()
    if best is None or best.encoding in _SINGLE_BYTE_FAMILY:
        return "cp1250"
    return str(best.encoding)


def _not_readable_as(encoding: str) -> FileProblem:
    return FileProblem(_("The file cannot be read as %(encoding)s.") % {"encoding": encoding})


def _not_valid(encoding: str, line: int, offset: int, byte: int) -> FileProblem:
    return FileProblem(
        _(
            "The file is not valid %(encoding)s: row %(row)s, byte %(offset)s (0x%(byte)02X) cannot be read. "
            "Choose another encoding (Polish Excel saves CSV as Windows-1250)."
        )
        % {"encoding": encoding, "row": line, "offset": offset, "byte": byte}
    )


def _check_decodes(path: Path, encoding: str) -> None:
    if encoding.startswith("utf-16"):
        try:
            with path.open(encoding=encoding, newline="") as handle:
                for _line in handle:
                    pass
        except UnicodeError:
            raise _not_readable_as(encoding) from None
        return
    problem = _decode_problem(path, encoding)
    if problem is not None:
        raise _not_valid(encoding, *problem)


# --- CSV ---------------------------------------------------------------------------------------------------------


def _lines(path: Path, encoding: str) -> Iterator[str]:
    """The file's lines decoded, each with its line end (csv needs it inside quoted fields). A sequence the
    encoding cannot decode is the FileProblem `_check_decodes` names, raised where it is met: a file read with
    settings checked beforehand (`inspect_file(checked=True)`) never meets one."""
    if encoding.startswith("utf-16"):
        try:
            with path.open(encoding=encoding, newline="") as handle:
                yield from handle
        except UnicodeError:
            raise _not_readable_as(encoding) from None
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    decode = decoder.decode
    offset = line_number = 0
    with path.open("rb") as handle:
        for line_number, line in enumerate(handle, start=1):
            try:
                text = decode(line)
            except UnicodeDecodeError as exc:
                raise _not_valid(encoding, line_number, offset + exc.start, line[exc.start]) from None
            offset += len(line)
            yield text
    try:
        decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_valid(encoding, line_number, offset, 0) from None


def _width_profile(lines: list[str], delimiter: str) -> tuple[float, int]:
    """(the share of rows with the most common width, that width) when `lines` are split at `delimiter`."""
    try:
        rows = [row for row in csv.reader(lines, delimiter=delimiter) if any(cell.strip() for cell in row)]
    except csv.Error:
        return 0.0, 0
    if not rows:
        return 0.0, 0
    width, count = Counter(len(row) for row in rows).most_common(1)[0]
    return count / len(rows), width


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the sample into the most consistent rows of more than one column.

    csv.Sniffer guesses from character frequencies and is thrown by "1 234,50" in a file split by semicolons; here
    each candidate parses the sample (quotes respected) and the one giving rows of one width wins, the wider on a
    tie. One column under every candidate: a comma (nothing to split).
    """
    best, best_score = ",", (0.0, 1)
    for delimiter in DELIMITERS:
        share, width = _width_profile(lines, delimiter)
        if width > 1 and (share, width) > best_score:
            best, best_score = delimiter, (share, width)
    return best


def _csv_records(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(the line each record starts on, its fields), streamed; unbalanced quotes raise a FileProblem."""
    lines = _lines(path, encoding)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileProblem(
                _(
                    'Unbalanced quotes in the record starting on row %(row)s: a quote (") opens a field that never '
                    "closes, or a quote stands inside an unquoted field (%(detail)s)."
                )
                % {"row": start, "detail": str(exc)}
            ) from None
        # The record's text joined once, for both checks below: no field can be longer than the whole record.
        joined = "".join(record)
        if len(joined) > MAX_CELL_CHARS and max(map(len, record)) > MAX_CELL_CHARS:
            raise FileProblem(
                _(
                    'The record starting on row %(row)s has a field longer than %(limit)s characters: a quote (") '
                    "opened there probably never closes."
                )
                % {"row": start, "limit": f"{MAX_CELL_CHARS:,}"}
            )
        # Our own exports put an apostrophe before a formula start (core.spreadsheet.neutralise): read as the value.
        # (A record without an apostrophe has none to take away: it is read as it is.)
        yield start, list(map(restore_neutralised, record)) if "'" in joined else record
        start = reader.line_num + 1


def _mixed_delimiter(record: list[str], delimiter: str, width: int) -> str | None:
    """Another delimiter that splits this record into the header's width when ours does not."""
    line = delimiter.join(record)
    for other in DELIMITERS:
        if other != delimiter and width > 1:
            try:
                fields = next(csv.reader([line], delimiter=other))
            except (csv.Error, StopIteration):
                continue
            if len(fields) == width:
                return other
    return None


def _named(delimiter: str) -> str:
    names = {";": _("semicolon (;)"), ",": _("comma (,)"), "\t": _("tab")}
    return names.get(delimiter, repr(delimiter))


# --- header ------------------------------------------------------------------------------------------------------


def _looks_like_value(text: str) -> bool:
    """A number or a date: a data row's cell, never a header's."""
    stripped = text.strip().replace(" ", "").replace("\xa0", "")
    if not stripped:
        return False
    digits = sum(ch.isdigit() for ch in stripped)
    return digits >= len(stripped) * 0.6


def guess_header_row(rows: list[list[CellValue]]) -> int:
    """The first row (1-based) that looks like a header: filled in at least half of the table's width, by texts
    that are neither numbers nor dates nor repeated. A title or a blank line above the table is skipped."""
    filled = [[cell for cell in row if cell is not None and str(cell).strip()] for row in rows]
    width = max((len(cells) for cells in filled), default=0)
    for index, cells in enumerate(filled):
        if not cells or len(cells) < max(1, (width + 1) // 2):
            continue
        texts = [str(cell).strip() for cell in cells]
        if all(isinstance(cell, str) and not _looks_like_value(cell) for cell in cells) and len(set(texts)) == len(
            texts
        ):
            return index + 1
    return 1


def _columns(header: list[CellValue]) -> tuple[str, ...]:
    names = [cell_text(cell).strip() for cell in header]
    while names and not names[-1]:
        names.pop()
    if len(names) > MAX_COLUMNS:
        raise FileProblem(
            _("The file has %(count)s columns; at most %(limit)s can be imported.")
            % {"count": f"{len(names):,}", "limit": MAX_COLUMNS}
        )
    return tuple(names)


def cell_text(value: CellValue) -> str:
    """A cell as the preview shows it: whole numbers without ".0", dates in ISO form, formulas as their text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value)


# --- workbooks ---------------------------------------------------------------------------------------------------


def _workbook(path: Path, kind: Kind) -> python_calamine.CalamineWorkbook:
    _check_workbook_zip(path, kind)
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise FileProblem(_("The workbook is protected by a password: save it without one.")) from None
    except (python_calamine.CalamineError, python_calamine.ZipError, python_calamine.XmlError, ValueError) as exc:
        raise FileProblem(
            _("The workbook cannot be read (%(detail)s). Save it again from the spreadsheet program.")
            % {"detail": str(exc)[:200]}
        ) from None


def _sheet_rows(workbook: python_calamine.CalamineWorkbook, sheet: str) -> Iterator[list[CellValue]]:
    try:
        data = workbook.get_sheet_by_name(sheet)
    except python_calamine.WorksheetNotFound:
        raise FileProblem(_("The workbook has no sheet named “%(sheet)s”.") % {"sheet": sheet}) from None
    for row in data.iter_rows():
        yield [None if cell == "" else cell for cell in row]


# --- the two entry points ----------------------------------------------------------------------------------------


def _head(rows: Iterator[tuple[int, list[CellValue]]], count: int) -> list[tuple[int, list[CellValue]]]:
    out = []
    for item in rows:
        out.append(item)
        if len(out) >= count:
            break
    return out


def _numbered(path: Path, detected: Detected) -> Iterator[tuple[int, list[CellValue]]]:
    if detected.kind == "csv":
        for number, record in _csv_records(path, detected.encoding, detected.delimiter):
            yield number, cast("list[CellValue]", record)  # a fresh list of text cells, ours to keep
        return
    workbook = _workbook(path, detected.kind)
    try:
        yield from enumerate(_sheet_rows(workbook, detected.sheet), start=1)
    finally:
        workbook.close()


def _csv_settings(path: Path, overrides: Overrides, *, checked: bool = False) -> tuple[str, str]:
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _check_text(head)
    encoding = overrides.encoding or detect_encoding(path)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise FileProblem(_("Unknown encoding “%(encoding)s”.") % {"encoding": encoding}) from None
    if not checked:
        _check_decodes(path, encoding)
    sample = []
    for line in _lines(path, encoding):
        sample.append(line)
        if len(sample) >= SNIFF_LINES:
            break
    delimiter = overrides.delimiter or sniff_delimiter(sample)
    if delimiter not in DELIMITERS:
        raise FileProblem(_("Choose a semicolon, a comma or a tab as the delimiter."))
    return encoding, delimiter


def _sheet_settings(path: Path, kind: Kind, overrides: Overrides) -> tuple[str, tuple[str, ...]]:
    workbook = _workbook(path, kind)
    try:
        sheets = tuple(workbook.sheet_names)
    finally:
        workbook.close()
    if not sheets:
        raise FileProblem(_("The workbook has no sheets."))
    sheet = overrides.sheet or sheets[0]
    if sheet not in sheets:
        raise FileProblem(_("The workbook has no sheet named “%(sheet)s”.") % {"sheet": sheet})
    return sheet, sheets


def inspect_file(
    path: Path, *, name: str, overrides: Overrides | None = None, preview_rows: int = 20, checked: bool = False
) -> Detected:
    """`_inspect_file` with the date columns' day order the user's settings give (see Overrides.date_formats).

    `checked`: the file was inspected whole with these settings before (an import's stored settings: they are
    kept only once read through), so its decoding is not checked over the whole file again; reading it
    (`read_rows`) still raises the same FileProblem at a sequence it cannot decode."""
    detected = _inspect_file(path, name=name, overrides=overrides, preview_rows=preview_rows, checked=checked)
    if overrides is not None and overrides.date_formats:
        return replace(detected, date_formats=overrides.date_formats)
    return detected


def _inspect_file(
    path: Path, *, name: str, overrides: Overrides | None = None, preview_rows: int = 20, checked: bool = False
) -> Detected:
    """What the file is and how to read it, with the first `preview_rows` data rows; overrides win over detection.

    Raises FileProblem for a file that cannot be imported as set (checked on the first rows; `read_rows` checks
    every row on its way).
    """
    overrides = overrides or Overrides()
    kind = kind_of(name)
    _check_size(path)
    if kind == "csv":
        encoding, delimiter = _csv_settings(path, overrides, checked=checked)
        sheet, sheets = "", tuple[str, ...]()
    else:
        encoding = delimiter = ""
        sheet, sheets = _sheet_settings(path, kind, overrides)
    detected = Detected(
        kind=kind, header_row=1, columns=(), encoding=encoding, delimiter=delimiter, sheet=sheet, sheets=sheets
    )
    if kind == "csv" or overrides.sheet:
        return _with_header(path, detected, overrides.header_row, preview_rows)
    # No sheet chosen: the first sheet with a table (a workbook often opens on a cover or notes sheet).
    first_problem: FileProblem | None = None
    for candidate in sheets:
        try:
            return _with_header(path, replace(detected, sheet=candidate), overrides.header_row, preview_rows)
        except FileProblem as exc:
            first_problem = first_problem or exc
    assert first_problem is not None  # noqa: S101  # sheets is not empty (checked above), so one was tried
    raise first_problem


def _with_header(path: Path, detected: Detected, header_row: int | None, preview_rows: int) -> Detected:
    """The header (found, or the row the user gave) and the first data rows under it."""
    head = _head(_numbered(path, detected), HEADER_SEARCH_ROWS + preview_rows)
    if not any(any(cell_text(cell).strip() for cell in row) for _number, row in head):
        raise FileProblem(_("The file is empty: it has no rows with any value."))
    header_row = header_row or guess_header_row([row for _number, row in head[:HEADER_SEARCH_ROWS]])
    header_index = next((i for i, (number, _row) in enumerate(head) if number >= header_row), None)
    if header_index is None:
        raise FileProblem(_("The file has no row %(row)s to read the header from.") % {"row": header_row})
    columns = _columns(head[header_index][1])
    if not any(columns):
        raise FileProblem(_("The header row (row %(row)s) is empty.") % {"row": header_row})
    detected = replace(detected, header_row=head[header_index][0], columns=columns)
    preview = []
    for row in read_rows(path, detected):
        preview.append(row.cells)
        if len(preview) >= preview_rows:
            break
    if not preview:
        raise FileProblem(
            _("The file has a header row (row %(row)s) but no data rows under it.") % {"row": detected.header_row}
        )
    return replace(detected, preview=tuple(preview))


def read_rows(path: Path, detected: Detected) -> Iterator[Row]:
    """The data rows under the header, each as wide as the header (blank rows skipped), checked on the way: a row
    wider than the header with values beyond it, a row split by another delimiter, too many rows: FileProblem."""
    width = len(detected.columns)
    count = 0
    csv_file = detected.kind == "csv"
    # Read once, not per row: the padding of a short row, the date columns, the header's row.
    padding: CellValue = "" if csv_file else None
    date_formats, header_row = detected.date_formats, detected.header_row
    for number, record in _numbered(path, detected):
        if number <= header_row:
            continue
        cells = record if csv_file else list(record)  # a CSV record is a fresh list already (_numbered)
        # A CSV row's cells are all text: blank when their text joined is (one call instead of one per cell).
        if not ("".join(cells).strip() if csv_file else any(cell_text(cell).strip() for cell in cells)):  # type: ignore[arg-type]  # text, as said
            continue
        if csv_file and len(cells) != width:
            other = _mixed_delimiter([str(cell) for cell in cells], detected.delimiter, width)
            if other is not None:
                raise FileProblem(
                    _(
                        "Mixed delimiters: row %(row)s is split by a %(other)s while the header row uses a "
                        "%(ours)s. Save the whole file with one delimiter."
                    )
                    % {"row": number, "other": _named(other), "ours": _named(detected.delimiter)}
                )
        if len(cells) > width:
            extra = [cell for cell in cells[width:] if cell_text(cell).strip()]
            if extra:
                raise FileProblem(
                    ngettext(
                        "Row %(row)s has %(count)s column but the header has %(width)s.",
                        "Row %(row)s has %(count)s columns but the header has %(width)s.",
                        len(cells),
                    )
                    % {"row": number, "count": len(cells), "width": width}
                )
            cells = cells[:width]
        if len(cells) < width:
            cells.extend([padding] * (width - len(cells)))
        for index, date_format in date_formats:
            cell = cells[index] if index < width else None
            if isinstance(cell, str) and cell.strip():
                day = parse_date_as(cell.strip(), date_format)
                if day is not None:  # else left as text: the row's date check names the problem
                    cells[index] = day
        count += 1
        if count > MAX_ROWS:
            raise FileProblem(
                _("The file has more than %(limit)s rows; split it into smaller files.") % {"limit": f"{MAX_ROWS:,}"}
            )
        yield Row(number, tuple(cells))


def count_rows(path: Path, detected: Detected) -> int:
    """Every data row, checked: the whole file is read once (streamed)."""
    return sum(1 for _row in read_rows(path, detected))


def text_preview(detected: Detected) -> list[list[str]]:
    return [[cell_text(cell) for cell in row] for row in detected.preview]


__all__ = [
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "CellValue",
    "Detected",
    "FileProblem",
    "Overrides",
    "Row",
    "count_rows",
    "inspect_file",
    "read_rows",
    "text_preview",
]
