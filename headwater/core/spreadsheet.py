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

Cells are `str` (text), `int` or `Decimal` (numbers), or None (empty). The file is RFC 4180: comma-separated,
CRLF line ends, quotes doubled inside quoted cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import TextIO

Cell = str | int | Decimal | None

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_QUOTE_WHEN = (",", ";", "\t", '"', "\r", "\n")
DELIMITER = ","
LINE_END = "\r\n"


_FORMULA_AFTER_FOREIGN_DELIMITER = re.compile(r"([;\t])(?=[=+\-@\t\r\n])")


def neutralise(text: str) -> str:
    """Text with an apostrophe wherever a spreadsheet could start a formula: at its start, and after a `;` or
    tab (where a program splitting on those would start a cell); any other text as it is."""
    text = _FORMULA_AFTER_FOREIGN_DELIMITER.sub(r"\1'", text)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell(value: Cell) -> str:
    """One cell as it goes into the file."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("write a yes/no as text, translated")
    if isinstance(value, int | Decimal):
        return str(value)
    text = neutralise(value)
    if any(mark in text for mark in _QUOTE_WHEN):
        return '"' + text.replace('"', '""') + '"'
    return text


class SpreadsheetWriter:
    """`writerow` like `csv.writer`, with the rules above."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def writerow(self, row: Iterable[Cell]) -> None:
        self.out.write(DELIMITER.join(cell(value) for value in row) + LINE_END)
