"""CSV that a spreadsheet opens as data, never as formulas: the one writer every export uses.

Two ways user text becomes a formula in a spreadsheet:
- A text cell that starts with `=`, `+`, `-` or `@` (or a tab or line break, which some programs skip before
  looking) is run as a formula. Such cells get a leading apostrophe, which spreadsheets show as text and do not
  display. Numbers are written as numbers: -12.5 stays a number.
- The spreadsheet splits on another delimiter than the file's. Excel in Polish (and most of Europe) splits on `;`,
  some imports on tabs; an unquoted `Web;=cmd|' /C calc'!A0` written for commas then becomes two cells, the
  second a formula. So a cell holding any common delimiter (`,` `;` tab), a quote or a line break is quoted,
  whatever delimiter this file uses. Quotes protect only a cell that starts the line, though: further along, a
  program splitting on `;` meets the quote in the middle of its own field and takes it literally. So inside text,
  a `;` or tab directly followed by a formula start gets the apostrophe too (`Web;'=cmd...`): wherever the line is
  split, no piece starts a formula. (A `,` needs none: the file's own delimiter, where the quotes are honoured.)

Cells are `str` (text), `int` or `Decimal` (numbers), a `date` or `datetime` (written as ISO 8601), or None (empty).
The file is RFC 4180: CRLF line ends, quotes doubled inside quoted cells; the delimiter and the decimal mark follow
the reader's language (`CsvFormat`, `csv_format_for`): `,` and `.` in English, `;` and `,` in Polish, as Excel in
that language splits and reads numbers. A file starts with a UTF-8 byte order mark (`BOM`) so Excel reads it as
UTF-8 rather than the system code page.

The XLSX side (`XlsxSheet`) follows the same rules: text is always written as text, never as a formula; numbers as
numbers, dates as dates. It writes in xlsxwriter's constant-memory mode (row by row, each row flushed).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TextIO

import xlsxwriter  # type: ignore[import-untyped]  # the package ships no type hints

Cell = str | int | Decimal | dt.date | None

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_QUOTE_WHEN = (",", ";", "\t", '"', "\r", "\n")
DELIMITER = ","
LINE_END = "\r\n"
BOM = "\ufeff"


@dataclass(frozen=True)
class CsvFormat:
    """The delimiter and decimal mark a spreadsheet in the reader's language expects."""

    delimiter: str = DELIMITER
    decimal: str = "."


# Languages whose spreadsheets use a decimal comma, and so split CSV on `;`.
_DECIMAL_COMMA_LANGUAGES = frozenset({"pl", "de", "fr", "es", "it", "nl", "cs", "sk", "uk", "ru", "pt"})


def csv_format_for(language: str | None) -> CsvFormat:
    """ "pl" (or "pl-PL"): `;` and `,`; English and unknown languages: `,` and `.`."""
    base = (language or "").split("-")[0].split("_")[0].lower()
    if base in _DECIMAL_COMMA_LANGUAGES:
        return CsvFormat(delimiter=";", decimal=",")
    return CsvFormat()


_FORMULA_AFTER_FOREIGN_DELIMITER = re.compile(r"([;\t])(?=[=+\-@\t\r\n])")


def neutralise(text: str) -> str:
    """Text with an apostrophe wherever a spreadsheet could start a formula: at its start, and after a `;` or
    tab (where a program splitting on those would start a cell); any other text as it is."""
    if ";" in text or "\t" in text:  # the common case skips the regular expression
        text = _FORMULA_AFTER_FOREIGN_DELIMITER.sub(r"\1'", text)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


_NEUTRALISED = re.compile(r"(^|[;\t])'(?=[=+\-@\t\r\n])")


def restore_neutralised(text: str) -> str:
    """`neutralise` undone: the apostrophes it put before a formula start (at the start, after a `;` or tab)
    removed, so a file we exported imports back as the values it was written from."""
    if "'" not in text:
        return text
    return _NEUTRALISED.sub(r"\1", text)


_NEEDS_QUOTES = re.compile("[" + re.escape("".join(_QUOTE_WHEN)) + "]")


def cell(value: Cell, *, decimal: str = ".") -> str:
    """One cell as it goes into the file (`decimal`: the mark between a number's whole and its fraction)."""
    if value is None or value == "":
        return ""
    if type(value) is str:  # the most common cell first (exports write hundreds of thousands)
        return _text_cell(value)
    if isinstance(value, bool):
        raise TypeError("write a yes/no as text, translated")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        number = format(value, "f")
        return number.replace(".", decimal) if decimal != "." else number
    if isinstance(value, dt.date):
        # A datetime is a date too: both as ISO 8601, which every spreadsheet and the importer read.
        return value.isoformat()
    return _text_cell(value)


def _text_cell(value: str) -> str:
    text = neutralise(value)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(row: Iterable[Cell], fmt: CsvFormat = CsvFormat()) -> str:
    """One row as a line of the file, its line end included."""
    return fmt.delimiter.join(cell(value, decimal=fmt.decimal) for value in row) + LINE_END


class SpreadsheetWriter:
    """`writerow` like `csv.writer`, with the rules above; `fmt` the reader's delimiter and decimal mark."""

    def __init__(self, out: TextIO, fmt: CsvFormat = CsvFormat()) -> None:
        self.out = out
        self.fmt = fmt

    def writerow(self, row: Iterable[Cell]) -> None:
        self.out.write(csv_line(row, self.fmt))


class XlsxSheet:
    """One worksheet of a workbook written row by row (xlsxwriter's constant_memory mode): text as text (never a
    formula, whatever it starts with), `int`/`Decimal` as numbers, dates and datetimes as dates.

    `path`: the file to write (a temporary file the caller streams and removes). Call `close()` to finish it.
    """

    def __init__(self, path: str, *, title: str = "") -> None:
        self.workbook: Any = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,
                # Text stays text: no formulas, no numbers or links guessed from strings.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.sheet: Any = self.workbook.add_worksheet(title[:31] or None)
        self.date_format = self.workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime_format = self.workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.row = 0

    def writerow(self, row: Iterable[Cell]) -> None:
        for col, value in enumerate(row):
            self._write(col, value)
        self.row += 1

    def _write(self, col: int, value: Cell) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            raise TypeError("write a yes/no as text, translated")
        if isinstance(value, int | Decimal):
            # Excel holds numbers as doubles: a money amount of up to 15 digits is exact.
            self.sheet.write_number(self.row, col, float(value))
        elif isinstance(value, dt.datetime):
            # The wall-clock time in the value's own zone (the caller gives the account's): Excel has no zones.
            self.sheet.write_datetime(self.row, col, value.replace(tzinfo=None), self.datetime_format)
        elif isinstance(value, dt.date):
            self.sheet.write_datetime(self.row, col, value, self.date_format)
        else:
            self.sheet.write_string(self.row, col, value)

    def close(self) -> None:
        self.workbook.close()


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_file(write: Callable[[XlsxSheet], None], *, title: str = "") -> IO[bytes]:
    """A workbook `write` fills row by row, written to a temporary file in constant memory; returned open for
    reading, already unlinked, so it goes when the caller (a FileResponse) closes it, whatever happens."""
    handle, name = tempfile.mkstemp(suffix=".xlsx", prefix="headwater-export-")
    os.close(handle)
    path = Path(name)
    try:
        sheet = XlsxSheet(name, title=title)
        write(sheet)
        sheet.close()
        return path.open("rb")
    finally:
        path.unlink()
