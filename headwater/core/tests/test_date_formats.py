"""One date format per language on every page: 4 Dec 2026 in English, 04.12.2026 in Polish (config/formats/)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from headwater.testing.factories import CompanyFactory, DealFactory

pytestmark = pytest.mark.django_db

SHOWN = {"en": "4 Dec 2026", "pl": "04.12.2026"}
# What Django's own formats wrote before: "Dec. 4, 2026", "12/04/2026" (read as 12 April in Europe), "04-12-2026".
NOT_SHOWN = ["Dec. 4", "12/04/2026", "04-12-2026", "4 grudnia 2026", "2026-12-04</"]


@pytest.fixture
def dated(tenant):
    moment = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)
    company = CompanyFactory(account=tenant.account, name="Dated Co", created_at=moment, updated_at=moment)
    deal = DealFactory(
        company=company,
        name="Dated deal",
        created_at=moment,
        updated_at=moment,
        expected_close_date=dt.date(2026, 12, 4),
    )
    return company, deal


@pytest.mark.parametrize("language", ["en", "pl"])
def test_every_page_shows_dates_in_the_language_s_one_format(tenant, member_client, dated, language):
    company, deal = dated
    member_client.cookies["django_language"] = language
    for path in ("deals/", f"deals/{deal.pk}/", "companies/", f"companies/{company.pk}/"):
        text = member_client.get(tenant.url(path)).content.decode()
        assert SHOWN[language] in text, path
        for other in NOT_SHOWN:
            assert other not in text, (path, other)
    detail = member_client.get(tenant.url(f"deals/{deal.pk}/")).content.decode()
    with timezone.override(tenant.account.time_zone):
        expected_time = timezone.localtime(deal.created_at).strftime("%H:%M")
    assert f"{SHOWN[language]}, {expected_time}" in detail


def test_date_inputs_are_date_pickers_with_iso_values(tenant, member_client, dated):
    _, deal = dated
    member_client.cookies["django_language"] = "pl"
    form = member_client.get(tenant.url(f"deals/{deal.pk}/edit/")).content.decode()
    assert 'type="date" name="expected_close_date" value="2026-12-04"' in form
    toolbar = member_client.get(tenant.url("deals/")).content.decode()
    for name in ("created_from", "created_to", "closed_from", "closed_to"):
        assert f'type="date" name="{name}"' in toolbar
