"""Account settings > Spend > Import: a spreadsheet of spend, one entry per row, all or nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from headwater.records.tests.view_contract import sources_on
from headwater.sources.services import source_alias_create
from headwater.spend.models import SpendEntry
from headwater.testing.factories import CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def google(tenant):
    sources_on(tenant.account, default=False)
    source = SourceFactory(account=tenant.account, name="Google Ads")
    source_alias_create(account=tenant.account, user=None, source=source, text="adwords")
    return source


def _post(tenant, name: str, content: bytes, role: str = "admin"):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return tenant.client_for(role).post(tenant.url("import/spend/"), {"file": upload})


def test_a_polish_csv_becomes_entries(tenant, google):
    campaign = CampaignFactory(source=google, name="Wiosna")
    content = (
        "Miesiąc;Źródło;Kampania;Kwota;Waluta;Notatka\n"
        "2026-03;Google Ads;wiosna;1 200,50;;marzec\n"
        "2026-04;adwords;;300;EUR;\n"
    ).encode("cp1250")
    response = _post(tenant, "wydatki.csv", content)
    assert response.status_code == 302, response.content
    entries = list(SpendEntry.objects.for_account(tenant.account).order_by("start_date"))
    assert [(e.start_date, e.end_date, e.amount, e.currency, e.campaign_id, e.note) for e in entries] == [
        (dt.date(2026, 3, 1), dt.date(2026, 3, 31), Decimal("1200.50"), "PLN", campaign.pk, "marzec"),
        (dt.date(2026, 4, 1), dt.date(2026, 4, 30), Decimal("300.00"), "EUR", None, ""),
    ]
    assert {e.source_id for e in entries} == {google.pk}


def test_a_ranged_xlsx_is_read_by_calamine(tenant, google):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Start", "End", "Source", "Amount"])
    sheet.write_datetime(1, 0, dt.datetime(2026, 1, 25), date)  # noqa: DTZ001 — a spreadsheet's day
    sheet.write_datetime(1, 1, dt.datetime(2026, 2, 5), date)  # noqa: DTZ001 — a spreadsheet's day
    sheet.write(1, 2, "Google Ads")
    sheet.write_number(1, 3, 99.5)
    book.close()
    response = _post(tenant, "spend.xlsx", out.getvalue())
    assert response.status_code == 302, response.content
    entry = SpendEntry.objects.for_account(tenant.account).get()
    expected = (dt.date(2026, 1, 25), dt.date(2026, 2, 5), Decimal("99.50"))
    assert (entry.start_date, entry.end_date, entry.amount) == expected


def test_one_bad_row_refuses_the_file_and_lists_every_problem(tenant, google):
    CampaignFactory(source=SourceFactory(account=tenant.account, name="Meta"), name="Lato")
    content = (
        b"Month,Source,Campaign,Amount,Currency,Note\n"
        b"2026-03,Google Ads,,100,,ok\n"
        b"2026-13,Nowhere,,abc,,\n"
        b"2026-05,Google Ads,Lato,0,ZZZ,\n"
    )
    response = _post(tenant, "spend.csv", content)
    assert response.status_code == 400
    errors = {(e.row, e.column) for e in response.context["row_errors"]}
    assert errors == {
        (3, "Month"),
        (3, "Source"),
        (3, "Amount"),
        (4, "Campaign"),
        (4, "Amount"),
    }
    assert "Nowhere" in response.content.decode()
    assert not SpendEntry.objects.for_account(tenant.account).exists()


def test_a_file_without_the_needed_columns_is_refused(tenant, google):
    response = _post(tenant, "spend.csv", b"Name,Value\nx,1\n")
    assert response.status_code == 400
    assert "Source column" in response.content.decode()
    assert not SpendEntry.objects.for_account(tenant.account).exists()


def test_members_may_not_import_spend(tenant, google):
    response = _post(tenant, "spend.csv", b"Month,Source,Amount\n2026-03,Google Ads,1\n", role="member")
    assert response.status_code == 403
    assert not SpendEntry.objects.for_account(tenant.account).exists()
