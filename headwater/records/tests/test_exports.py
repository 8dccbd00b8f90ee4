"""Exports of the record lists (every kind in the registry) and of the Statistics page: CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from python_calamine import CalamineWorkbook

from headwater.core.models import Account
from headwater.records.exports import export_columns
from headwater.records.registry import RecordKind, kind_of, record_kinds
from headwater.records.tests.view_contract import sources_on
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, RecordFactory, SourceFactory

pytestmark = pytest.mark.django_db

FACTORIES = {factory._meta.model: factory for factory in RecordFactory.__subclasses__()}
KINDS = [pytest.param(kind, id=kind.noun) for kind in record_kinds()]
BOM = b"\xef\xbb\xbf"


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_csv(response: Any, delimiter: str = ",") -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    content = body(response)
    assert content.startswith(BOM)
    return list(csv.reader(io.StringIO(content[3:].decode()), delimiter=delimiter))


def read_xlsx(response: Any) -> list[list[Any]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(body(response)))
    rows: list[list[Any]] = workbook.get_sheet_by_index(0).to_python()
    return rows


def make(kind: RecordKind, account: Any, name: str, **fields: Any) -> Any:
    name_field = kind.name_fields[-1]
    return FACTORIES[kind.model](account=account, **{name_field: name}, **fields)


@pytest.mark.parametrize("kind", KINDS)
class TestListExports:
    def test_csv_has_the_filtered_records_in_the_lists_order_and_no_other_accounts(self, tenant, other_tenant, kind):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account, name="Web")
        make(kind, tenant.account, "Zeta", source=web, owner=tenant.admin)
        make(kind, tenant.account, "Alpha", source=web)
        make(kind, tenant.account, "Outside")
        make(kind, other_tenant.account, "Theirs")
        sort = "name" if "name" in kind.pages.sorts else next(iter(kind.pages.sorts))
        response = tenant.client_for("viewer").get(tenant.url(f"{kind.app}/export.csv?source={web.pk}&sort=-{sort}"))
        rows = read_csv(response)
        header, records = rows[0], rows[1:]
        assert "Acquisition source" in header
        assert "Owner e-mail" in header
        assert len(records) == 2
        text = "\n".join(",".join(r) for r in records)
        assert "Outside" not in text
        assert "Theirs" not in text
        names = [next(cell for cell in row if cell in ("Zeta", "Alpha")) for row in records]
        assert names == ["Zeta", "Alpha"]
        zeta = records[0]
        assert zeta[header.index("Acquisition source")] == "Web"
        assert zeta[header.index("Owner e-mail")] == tenant.admin.email
        assert response["Content-Disposition"].endswith('.csv"')
        assert response["Cache-Control"].startswith("max-age=0")

    def test_polish_uses_semicolons_and_decimal_commas(self, tenant, kind):
        tenant.viewer.language = "pl"
        tenant.viewer.save()
        make(kind, tenant.account, "Kowalski; Nowak")
        rows = read_csv(tenant.client_for("viewer").get(tenant.url(f"{kind.app}/export.csv")), delimiter=";")
        assert rows[0][0] in ("Nazwa", "Imię"), rows[0]
        assert any("Kowalski; Nowak" in row for row in rows[1:])

    def test_cells_cannot_become_formulas(self, tenant, kind):
        make(kind, tenant.account, "=HYPERLINK(1)")
        rows = read_csv(tenant.client_for("viewer").get(tenant.url(f"{kind.app}/export.csv")))
        assert any("'=HYPERLINK(1)" in row for row in rows)
        assert not any(cell.startswith("=") for row in rows for cell in row)
        sheet = read_xlsx(tenant.client_for("viewer").get(tenant.url(f"{kind.app}/export.xlsx")))
        assert any("=HYPERLINK(1)" in row for row in sheet)  # a text cell as typed, never a formula

    def test_xlsx_is_readable_with_the_same_rows(self, tenant, other_tenant, kind):
        make(kind, tenant.account, "Alpha")
        make(kind, other_tenant.account, "Theirs")
        response = tenant.client_for("viewer").get(tenant.url(f"{kind.app}/export.xlsx?q=alpha"))
        assert response["Content-Disposition"].endswith('.xlsx"')
        sheet = read_xlsx(response)
        csv_rows = read_csv(tenant.client_for("viewer").get(tenant.url(f"{kind.app}/export.csv?q=alpha")))
        assert sheet[0] == csv_rows[0]
        assert len(sheet) == 2
        created = sheet[1][-1]
        assert isinstance(created, dt.datetime)  # a date cell, not text

    def test_bad_filters_are_a_400(self, tenant, kind):
        response = tenant.client_for("viewer").get(tenant.url(f"{kind.app}/export.csv?created_from=yesterday"))
        assert response.status_code == 400
        assert "created_from" in response.text

    def test_every_role_may_export_and_strangers_get_404(self, tenant, other_tenant, kind):
        for role in ("admin", "member", "viewer"):
            assert tenant.client_for(role).get(tenant.url(f"{kind.app}/export.csv")).status_code == 200
        assert other_tenant.client_for("admin").get(tenant.url(f"{kind.app}/export.xlsx")).status_code == 404


def test_deal_columns_are_the_importable_fields_with_numbers_and_dates(tenant):
    sources_on(tenant.account)
    web = SourceFactory(account=tenant.account, name="Web")
    company = CompanyFactory(account=tenant.account, name="Acme")
    person = PersonFactory(account=tenant.account, company=company, first_name="Anna", last_name="Nowak")
    DealFactory(
        account=tenant.account,
        name="Licence",
        value=Decimal("1234.50"),
        currency="EUR",
        status="won",
        closed_at=dt.date(2026, 3, 2),
        expected_close_date=dt.date(2026, 3, 1),
        company=company,
        person=person,
        owner=tenant.member,
        source=web,
    )
    client = tenant.client_for("viewer")
    header, row = read_csv(client.get(tenant.url("deals/export.csv")))
    assert header == [
        "Name",
        "Value",
        "Currency",
        "Status",
        "Expected close date",
        "Closed on",
        "Lost reason",
        "Company",
        "Person",
        "Owner e-mail",
        "Acquisition source",
        "Campaign",
        "Notes",
        "Created",
    ]
    assert row[:12] == [
        "Licence",
        "1234.50",
        "EUR",
        "won",
        "2026-03-01",
        "2026-03-02",
        "",
        "Acme",
        "Anna Nowak",
        tenant.member.email,
        "Web",
        "",
    ]
    tenant.viewer.language = "pl"
    tenant.viewer.save()
    header, row = read_csv(client.get(tenant.url("deals/export.csv")), delimiter=";")
    assert row[header.index("Wartość")] == "1234,50"
    sheet = read_xlsx(client.get(tenant.url("deals/export.xlsx")))
    assert sheet[1][sheet[0].index("Wartość")] == 1234.5
    assert sheet[1][sheet[0].index("Data zamknięcia")] == dt.date(2026, 3, 2) or isinstance(
        sheet[1][sheet[0].index("Data zamknięcia")], dt.datetime
    )
    assert kind_of("deal").pages is not None


def test_statistics_xlsx_has_the_csvs_rows(tenant):
    sources_on(tenant.account)
    web = SourceFactory(account=tenant.account, name="=Web")
    DealFactory(account=tenant.account, source=web, value=Decimal("10.50"))
    client = tenant.client_for("viewer")
    page = client.get(tenant.url("stats/sources/"))
    assert "Export XLSX" in page.text
    sheet = read_xlsx(client.get(tenant.url("stats/sources/export.xlsx")))
    rows = read_csv(client.get(tenant.url("stats/sources/export.csv")))
    assert sheet[0][0] == rows[0][0] == "Acquisition source statistics"
    open_deals = [r for r in sheet if r and r[0] == "=Web"]
    assert any(10.5 in row for row in open_deals)  # a number cell
    tenant.viewer.language = "pl"
    tenant.viewer.save()
    polish = read_csv(client.get(tenant.url("stats/sources/export.csv")), delimiter=";")
    assert any("10,50" in row for row in polish)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_documented_headers_are_the_exports(language):
    """docs/import-export.md lists every kind's headers in both languages: the importer's contract."""
    doc = (Path(__file__).resolve().parents[3] / "docs" / "import-export.md").read_text(encoding="utf-8")
    table = {}
    for line in doc.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0] in ("Companies", "Persons", "Deals"):
            table[cells[0]] = cells[1] if language == "en" else cells[2]
    account = Account(name="Docs", slug="docs", time_zone="Europe/Warsaw", sources_enabled=True)
    assert len(table) == len(record_kinds())
    for kind in record_kinds():
        with translation.override(language):
            headers = ", ".join(column.header for column in export_columns(kind, account=account))
        with translation.override("en"):
            row = str(kind.model._meta.verbose_name_plural).capitalize()
        assert table[row] == headers
