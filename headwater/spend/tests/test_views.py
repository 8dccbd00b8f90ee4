"""Account settings > Spend: admins only, each posted as a browser posts it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from headwater.records.tests.view_contract import sources_on
from headwater.spend.models import SpendEntry
from headwater.spend.services import spend_create
from headwater.stats.models import ExchangeRate
from headwater.testing.factories import CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def google(tenant):
    sources_on(tenant.account, default=False)
    return SourceFactory(account=tenant.account, name="Google")


def _form(picked, /, **overrides):
    return {
        "source": str(picked.pk),
        "campaign": "",
        "month": "2026-03",
        "start_date": "",
        "end_date": "",
        "amount": "1 200,50",
        "currency": "PLN",
        "note": "Search ads",
    } | overrides


def test_an_admin_adds_a_months_spend_typed_in_polish(tenant, google):
    client = tenant.client_for("admin")
    response = client.post(tenant.url("settings/spend/add/"), _form(google))
    assert response.status_code == 302
    entry = SpendEntry.objects.for_account(tenant.account).get()
    assert (entry.start_date, entry.end_date, entry.amount, entry.created_by) == (
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 31),
        Decimal("1200.50"),
        tenant.admin,
    )
    page = client.get(tenant.url("settings/spend/"))
    assert "Search ads" in page.text
    assert "1,200.50 PLN" in page.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "abc"}, "amount", "decimal number"),
        ({"month": "", "start_date": "2026-03-05", "end_date": "2026-03-01"}, "end_date", "before the start"),
        ({"month": "", "start_date": "2026-03-05"}, "end_date", "last day"),
        ({"month": ""}, "month", "Give a month"),
        ({"month": "2026-3x"}, "month", "YYYY-MM"),
        ({"start_date": "2026-03-05", "end_date": "2026-03-06"}, "month", "not both"),
        ({"source": ""}, "source", "Choose a source"),
    ],
)
def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(tenant, google, changes, field, message):
    response = tenant.client_for("admin").post(tenant.url("settings/spend/add/"), _form(google, **changes))
    assert response.status_code == 400
    assert message in " ".join(str(e) for e in response.context["form"].errors.get(field, []))
    assert not SpendEntry.objects.for_account(tenant.account).exists()


def test_the_campaign_must_belong_to_the_source(tenant, google):
    other = CampaignFactory(source=SourceFactory(account=tenant.account, name="Meta"), name="Spring")
    response = tenant.client_for("admin").post(tenant.url("settings/spend/add/"), _form(google, campaign=str(other.pk)))
    assert response.status_code == 400
    assert "not a campaign of the source" in str(response.context["form"].errors["campaign"])
    assert not SpendEntry.objects.for_account(tenant.account).exists()


def test_edit_turns_a_month_into_a_range_and_a_stale_version_is_refused(tenant, google):
    entry = spend_create(account=tenant.account, user=tenant.admin, source=google, month=dt.date(2026, 3, 1), amount=5)
    client = tenant.client_for("admin")
    url = tenant.url(f"settings/spend/{entry.pk}/edit/")
    assert 'value="2026-03"' in client.get(url).text
    changed = _form(google, month="", start_date="2026-03-10", end_date="2026-04-09", version="1")
    assert client.post(url, changed).status_code == 302
    entry.refresh_from_db()
    assert (entry.start_date, entry.end_date, entry.version) == (dt.date(2026, 3, 10), dt.date(2026, 4, 9), 2)
    stale = client.post(url, changed | {"amount": "99"})
    assert stale.status_code == 400
    assert "changed by someone else" in stale.text
    entry.refresh_from_db()
    assert entry.amount == Decimal("1200.50")


def test_delete(tenant, google):
    entry = spend_create(account=tenant.account, user=tenant.admin, source=google, month=dt.date(2026, 3, 1), amount=5)
    client = tenant.client_for("admin")
    url = tenant.url(f"settings/spend/{entry.pk}/delete/")
    assert client.get(url).status_code == 200
    assert client.post(url, {"version": "1"}).status_code == 302
    assert not SpendEntry.objects.for_account(tenant.account).exists()


def test_the_list_filters_and_totals_per_currency_keep_spend_without_a_rate_apart(tenant, google):
    meta = SourceFactory(account=tenant.account, name="Meta")
    ExchangeRate.objects.create(account=tenant.account, base_currency="PLN", currency="EUR", rate=Decimal("4.25"))
    make = lambda source, amount, currency, month: spend_create(  # noqa: E731 — a one-line helper
        account=tenant.account,
        user=tenant.admin,
        source=source,
        month=dt.date(2026, month, 1),
        amount=amount,
        currency=currency,
    )
    make(google, "100", "PLN", 1)
    make(google, "10", "EUR", 2)
    make(google, "7", "USD", 3)
    make(meta, "1000", "PLN", 3)
    client = tenant.client_for("admin")
    page = client.get(tenant.url("settings/spend/"), {"source": str(google.pk)})
    assert page.status_code == 200
    totals = {t.currency: (t.amount, t.has_rate) for t in page.context["totals"]}
    assert totals == {
        "PLN": (Decimal("100.00"), True),
        "EUR": (Decimal("10.00"), True),
        "USD": (Decimal("7.00"), False),
    }
    assert page.context["converted"] == Decimal("142.50")
    assert "no exchange rate" in page.text
    ranged = client.get(tenant.url("settings/spend/"), {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert {e.amount for e in ranged.context["page"].rows} == {Decimal("7.00"), Decimal("1000.00")}
    bad = client.get(tenant.url("settings/spend/"), {"date_from": "2026-03-31", "date_to": "2026-03-01"})
    assert bad.status_code == 400
    assert client.get(tenant.url("settings/spend/"), {"source": "999999"}).status_code == 400
    assert client.get(tenant.url("settings/spend/"), {"cursor": "forged"}).status_code == 200


def test_members_and_viewers_may_not_see_or_change_spend(tenant, google):
    entry = spend_create(account=tenant.account, user=tenant.admin, source=google, month=dt.date(2026, 3, 1), amount=5)
    for role in ("member", "viewer"):
        client = tenant.client_for(role)
        assert client.get(tenant.url("settings/spend/")).status_code == 403
        assert client.post(tenant.url("settings/spend/add/"), _form(google)).status_code == 403
        assert client.post(tenant.url(f"settings/spend/{entry.pk}/delete/"), {"version": "1"}).status_code == 403
    assert SpendEntry.objects.for_account(tenant.account).count() == 1


def test_another_accounts_entry_is_404(tenant, other_tenant, google):
    theirs = spend_create(
        account=other_tenant.account,
        user=other_tenant.admin,
        source=SourceFactory(account=other_tenant.account),
        month=dt.date(2026, 3, 1),
        amount=5,
    )
    client = tenant.client_for("admin")
    assert client.get(tenant.url(f"settings/spend/{theirs.pk}/edit/")).status_code == 404
    assert client.post(tenant.url(f"settings/spend/{theirs.pk}/delete/"), {"version": "1"}).status_code == 404
    other_source = _form(google, source=str(theirs.source_id))
    assert client.post(tenant.url("settings/spend/add/"), other_source).status_code == 400
    assert SpendEntry.objects.for_account(other_tenant.account).count() == 1
