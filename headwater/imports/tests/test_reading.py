"""Reading files: encodings, delimiters, headers, workbooks, and every bad input refused with its own message."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import xlsxwriter  # type: ignore[import-untyped]  # ships no type information

from headwater.imports import reading
from headwater.imports.reading import FileProblem, Overrides, inspect_file, read_rows

POLISH = "Zażółć gęślą jaźń"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def csv_bytes(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


SAMPLE = f"Nazwa firmy;Miasto;Wartość\n{POLISH};Łódź;1 234,50 zł\nŚnieżka Sp. z o.o.;Źródła;99\n"


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("utf-8", SAMPLE.encode("utf-8")),
        ("utf-8-sig", codecs.BOM_UTF8 + SAMPLE.encode("utf-8")),
        ("cp1250", SAMPLE.encode("cp1250")),
        ("iso-8859-2", SAMPLE.encode("iso-8859-2")),
        ("utf-16", SAMPLE.encode("utf-16")),
    ],
)
def test_each_encoding_polish_excel_writes_is_detected(tmp_path, encoding, data):
    detected = inspect_file(write(tmp_path, "f.csv", data), name="f.csv")
    assert detected.encoding == encoding
    assert detected.delimiter == ";"
    assert detected.columns == ("Nazwa firmy", "Miasto", "Wartość")
    assert detected.preview[0] == (POLISH, "Łódź", "1 234,50 zł")
    assert detected.preview[1][0] == "Śnieżka Sp. z o.o."


@pytest.mark.parametrize("encoding", ["cp1250", "iso-8859-2"])
def test_a_single_short_polish_line_is_read_right(tmp_path, encoding):
    data = f"Firma\n{POLISH}\n".encode(encoding)
    detected = inspect_file(write(tmp_path, "f.csv", data), name="f.csv")
    assert detected.encoding == encoding
    assert detected.preview == ((POLISH,),)


def test_forcing_utf8_on_a_cp1250_file_says_which_row_and_byte(tmp_path):
    data = f"Firma;Miasto\nAcme;Gdynia\n{POLISH};Łódź\n".encode("cp1250")
    path = write(tmp_path, "f.csv", data)
    with pytest.raises(FileProblem) as exc:
        inspect_file(path, name="f.csv", overrides=Overrides(encoding="utf-8"))
    offset = data.index("ż".encode("cp1250"))
    assert f"row 3, byte {offset} (0xBF)" in exc.value.message
    assert "not valid utf-8" in exc.value.message


@pytest.mark.parametrize(
    ("encoding", "tail", "rows_before"),
    [
        ("utf-8", "Ostatnia;Łódź\n".encode("cp1250"), 60),  # a byte UTF-8 cannot read, far down the file
        ("utf-8", "Ostatnia;Łódź".encode()[:-1], 61),  # the file ends inside a character: its last row is read
        ("utf-16", b"\x00\xd8A\x00", 0),  # a lone surrogate
    ],
)
def test_a_file_read_with_settings_checked_before_meets_the_same_problem_where_it_is(
    tmp_path, encoding, tail, rows_before
):
    """`inspect_file(checked=True)` (an import's stored settings) leaves out the check of the whole file's
    decoding; reading the file raises the problem that check names, with its row and byte (UTF-16 is decoded in
    blocks: there, already in the first rows)."""
    head = "".join(f"Firma {n};Gdynia\n" for n in range(60))
    path = write(tmp_path, "f.csv", ("Firma;Miasto\n" + head).encode(encoding) + tail)
    overrides = Overrides(encoding=encoding, delimiter=";")
    with pytest.raises(FileProblem) as checked_whole:
        inspect_file(path, name="f.csv", overrides=overrides)
    read: list[reading.Row] = []
    with pytest.raises(FileProblem) as met:
        _read_into(read, path, overrides)
    assert met.value.message == checked_whole.value.message
    assert len(read) == rows_before


def _read_into(read: list[reading.Row], path: Path, overrides: Overrides) -> None:
    for row in read_rows(path, inspect_file(path, name="f.csv", overrides=overrides, checked=True)):
        read.append(row)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n4,5,6\n", ","),
        ("a;b;c\n1;2;3\n4;5;6\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        # Decimal commas inside a file split by semicolons: csv.Sniffer's guess trips on these.
        ("Firma;Wartość;Waluta\nA;1 234,50;PLN\nB;12,00;PLN\nC;3,5;EUR\n", ";"),
        # Quoted fields holding the other delimiters.
        ('Name,Note\n"Acme; Ltd","a;b;c"\n"B; C","d;e"\n', ","),
    ],
)
def test_the_delimiter_is_detected(tmp_path, text, delimiter):
    detected = inspect_file(write(tmp_path, "f.csv", text.encode()), name="f.csv")
    assert detected.delimiter == delimiter


def test_the_user_overrides_the_delimiter_and_the_preview_follows(tmp_path):
    path = write(tmp_path, "f.csv", b"a;b,c\n1;2,3\n")
    detected = inspect_file(path, name="f.csv")
    assert detected.delimiter == ";"
    assert detected.columns == ("a", "b,c")
    forced = inspect_file(path, name="f.csv", overrides=Overrides(delimiter=","))
    assert forced.columns == ("a;b", "c")
    assert forced.preview == (("1;2", "3"),)


def test_a_title_above_the_table_is_skipped(tmp_path):
    text = "Eksport z systemu X, 2026-03-01\n\nFirma;NIP;Miasto\nAcme;5260001246;Gdańsk\n"
    detected = inspect_file(write(tmp_path, "f.csv", text.encode()), name="f.csv")
    assert detected.header_row == 3
    assert detected.columns == ("Firma", "NIP", "Miasto")
    assert detected.preview == (("Acme", "5260001246", "Gdańsk"),)
    # The user says the header is the data row: nothing is left under it.
    assert "header row (row 4) but no data rows" in problem(write(tmp_path, "g.csv", text.encode()), header_row=4)


def test_rows_are_numbered_as_in_the_file_and_padded_to_the_header(tmp_path):
    path = write(tmp_path, "f.csv", b'a,b,c\n1,2\n\n"multi\nline",5,6\n7,8,9,,\n')
    detected = inspect_file(path, name="f.csv")
    rows = list(read_rows(path, detected))
    assert [row.number for row in rows] == [2, 4, 6]
    assert rows[0].cells == ("1", "2", "")
    assert rows[1].cells == ("multi\nline", "5", "6")
    assert rows[2].cells == ("7", "8", "9")


def test_a_formula_stays_text(tmp_path):
    path = write(tmp_path, "f.csv", b'Firma,Strona\nAcme,"=HYPERLINK(""http://evil.example"",""x"")"\n')
    detected = inspect_file(path, name="f.csv")
    assert detected.preview == (("Acme", '=HYPERLINK("http://evil.example","x")'),)


# --- bad input ---------------------------------------------------------------------------------------------------


def problem(path: Path, name: str | None = None, **overrides) -> str:
    def read_all() -> None:
        detected = inspect_file(path, name=name or path.name, overrides=Overrides(**overrides))
        list(read_rows(path, detected))

    with pytest.raises(FileProblem) as exc:
        read_all()
    return exc.value.message


def test_an_empty_file(tmp_path):
    assert problem(write(tmp_path, "f.csv", b"")) == "The file is empty."
    assert "no rows with any value" in problem(write(tmp_path, "g.csv", b"\r\n\r\n \r\n"))


def test_a_header_only_file(tmp_path):
    assert "header row (row 1) but no data rows" in problem(write(tmp_path, "f.csv", b"Firma;NIP\n"))


def test_unbalanced_quotes(tmp_path):
    message = problem(write(tmp_path, "f.csv", b'Firma;NIP\nAcme;1\n"Beta;2\nGamma;3\n'))
    assert "Unbalanced quotes in the record starting on row 3" in message


def test_a_quote_inside_an_unquoted_field(tmp_path):
    message = problem(write(tmp_path, "f.csv", b'Firma,NIP\nAcme,1\n"Be"ta,2\n'))
    assert "Unbalanced quotes" in message
    assert "row 3" in message


def test_mixed_delimiters(tmp_path):
    message = problem(write(tmp_path, "f.csv", b"Firma;NIP;Miasto\nAcme;1;Gdynia\nBeta,2,Sopot\n"))
    assert "Mixed delimiters: row 3 is split by a comma (,) while the header row uses a semicolon (;)" in message


def test_a_row_wider_than_the_header(tmp_path):
    message = problem(write(tmp_path, "f.csv", b"a;b\n1;2\n3;4;5;6\n"))
    assert message == "Row 3 has 4 columns but the header has 2."


def test_ten_thousand_columns(tmp_path):
    header = ";".join(f"c{i}" for i in range(10_000))
    message = problem(write(tmp_path, "f.csv", f"{header}\n{header}\n".encode()))
    assert message == "The file has 10,000 columns; at most 200 can be imported."


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"PK\x03\x04\x14\x00\x00\x00", "ZIP"),
    ],
)
def test_a_binary_file_named_csv(tmp_path, data, what):
    assert f"is a {what} file, not text" in problem(write(tmp_path, "f.csv", data + bytes(range(256)) * 4))


def test_random_bytes_named_csv(tmp_path):
    data = bytes((i * 7919) % 256 for i in range(5000))
    assert "binary data, not text" in problem(write(tmp_path, "f.csv", data))


def test_a_non_zip_named_xlsx(tmp_path):
    assert "is not a zip archive" in problem(write(tmp_path, "f.xlsx", b"Firma;NIP\nAcme;1\n"))


def test_a_damaged_zip_named_xlsx(tmp_path):
    assert "damaged or not a spreadsheet" in problem(write(tmp_path, "f.xlsx", b"PK\x03\x04" + b"\x00" * 100))


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(1100):  # 1.1 GB of zeros, a megabyte or so on the disk
                member.write(chunk)
    path = write(tmp_path, "bomb.xlsx", buffer.getvalue())
    assert path.stat().st_size < 5 * 1024 * 1024

    def opened(*args, **kwargs):
        raise AssertionError("calamine opened the bomb")

    monkeypatch.setattr(reading.python_calamine.CalamineWorkbook, "from_path", opened)
    message = problem(path)
    assert "would unpack to 1,100 MB" in message


def test_a_small_bomb_with_a_thousandfold_ratio(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    message = problem(write(tmp_path, "bomb.xlsx", buffer.getvalue()))
    assert "xl/worksheets/sheet1.xml is compressed" in message
    assert "zip bomb" in message


def test_too_large_a_file(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 100)
    message = problem(write(tmp_path, "f.csv", b"a;b\n" + b"1;2\n" * 50))
    assert message == "The file has 0.0 MB; at most 0 MB can be imported. Split it into smaller files."


def test_too_many_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 10)
    message = problem(write(tmp_path, "f.csv", b"a;b\n" + b"1;2\n" * 11))
    assert message == "The file has more than 10 rows; split it into smaller files."


def test_a_file_of_another_kind(tmp_path):
    assert "Upload a CSV, XLSX or ODS file" in problem(write(tmp_path, "f.pdf", b"a"))


# --- workbooks ---------------------------------------------------------------------------------------------------


def make_xlsx(path: Path, sheets: dict[str, list[list[object]]], formulas: bool = False) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if hasattr(value, "year"):
                    sheet.write_datetime(r, c, value, date_format)
                else:
                    sheet.write(r, c, value)
        if formulas:
            sheet.write_formula(len(rows), 0, '=HYPERLINK("http://evil.example","x")', None, "x")
            sheet.write_string(len(rows), 1, "=1+1")
    workbook.close()
    return path


def test_an_xlsx_file_first_sheet_or_the_chosen_one(tmp_path):
    path = make_xlsx(
        tmp_path / "f.xlsx",
        {
            "Firmy": [["Nazwa firmy", "Wartość", "Data"], [POLISH, 1234.5, dt.datetime(2026, 3, 1)]],  # noqa: DTZ001  # a cell has no zone
            "Inne": [["Kolumna"], ["wartość"]],
        },
    )
    detected = inspect_file(path, name="f.xlsx")
    assert detected.kind == "xlsx"
    assert detected.sheets == ("Firmy", "Inne")
    assert detected.sheet == "Firmy"
    assert detected.columns == ("Nazwa firmy", "Wartość", "Data")
    assert reading.text_preview(detected) == [[POLISH, "1234.5", "2026-03-01"]]
    other = inspect_file(path, name="f.xlsx", overrides=Overrides(sheet="Inne"))
    assert other.columns == ("Kolumna",)
    assert "no sheet named “Nope”" in problem(path, sheet="Nope")


def test_xlsx_formulas_are_never_evaluated(tmp_path):
    path = make_xlsx(tmp_path / "f.xlsx", {"S": [["Firma", "Strona"], ["Acme", "acme.pl"]]}, formulas=True)
    detected = inspect_file(path, name="f.xlsx")
    # calamine reads the value the file stored (written by the spreadsheet program), never computes one; a text
    # cell that starts with "=" is text.
    assert detected.preview[1] == ("x", "=1+1")


def test_an_ods_file(tmp_path):
    # A minimal OpenDocument spreadsheet, as LibreOffice's flat parts.
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        '<office:spreadsheet><table:table table:name="Arkusz1">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Firma</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>NIP</text:p></table:table-cell></table:table-row>'
        f'<table:table-row><table:table-cell office:value-type="string"><text:p>{POLISH}</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>5260001246</text:p></table:table-cell>'
        "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        archive.writestr("content.xml", content)
    detected = inspect_file(write(tmp_path, "f.ods", buffer.getvalue()), name="f.ods")
    assert detected.sheet == "Arkusz1"
    assert detected.columns == ("Firma", "NIP")
    assert detected.preview == ((POLISH, "5260001246"),)


# --- memory ------------------------------------------------------------------------------------------------------


def test_memory_stays_flat_in_the_size_of_a_csv(tmp_path):
    def peak(rows: int) -> int:
        path = tmp_path / f"big{rows}.csv"
        with path.open("w", encoding="cp1250") as out:
            out.write("Firma;NIP;Miasto;Wartość\n")
            for i in range(rows):
                out.write(f"{POLISH} {i};5260001246;Łódź;{i},50\n")
        detected = inspect_file(path, name=path.name)
        tracemalloc.start()
        count = reading.count_rows(path, detected)
        _current, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == rows
        return top

    small, large = peak(2_000), peak(40_000)
    assert large < small * 2 + 200_000, (small, large)
