"""The one CSV writer (core.spreadsheet): formulas neutralised, every common delimiter quoted."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from headwater.core.spreadsheet import SpreadsheetWriter, cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (None, ""),
        (12, "12"),
        (Decimal("-3.30"), "-3.30"),  # a number stays a number
        ("-3.30", "'-3.30"),  # text that looks like one does not run
        ("=1+1", "'=1+1"),
        ("@A1", "'@A1"),
        ("plain", "plain"),
        ("a,b", '"a,b"'),
        ("a;b", '"a;b"'),
        ("a\tb", '"a\tb"'),
        ('say "hi"', '"say ""hi"""'),
        ("line\nbreak", '"line\nbreak"'),
        ("Web;=cmd|' /C calc'!A0", "\"Web;'=cmd|' /C calc'!A0\""),
        ("a\t\t=b", "\"a\t'\t'=b\""),
        ("Web,=1+1", '"Web,=1+1"'),
    ],
)
def test_cells(value, written):
    assert cell(value) == written


def test_a_yes_or_no_must_be_translated_text():
    with pytest.raises(TypeError):
        cell(True)


def test_rows_read_back_with_the_csv_module():
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    writer.writerow(["Source", 'He said "=2+2"', None, 5, Decimal("1.50")])
    writer.writerow([])
    assert out.getvalue().endswith("\r\n\r\n")
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["Source", 'He said "=2+2"', "", "5", "1.50"], []]
