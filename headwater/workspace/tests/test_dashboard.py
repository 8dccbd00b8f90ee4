from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from headwater.core.dates import account_today
from headwater.deals.models import Deal, DealStatus
from headwater.stats.models import ExchangeRate
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory
from headwater.workspace.selectors import dashboard_get


@pytest.fixture
def records(tenant, other_tenant):
    today = timezone.localdate()
    company = CompanyFactory(account=tenant.account, name="Mine Ltd")
    PersonFactory(company=company)
    DealFactory(company=company, name="Open one", owner=tenant.member)
    DealFactory(company=company, name="Open two", owner=tenant.admin)
    DealFactory(company=company, name="Won lately", status=DealStatus.WON, value=Decimal("1500.50"), closed_at=today)
    DealFactory(
        company=company,
        name="Won in euro",
        status=DealStatus.WON,
        value=Decimal("200"),
        currency="EUR",
        closed_at=today - timedelta(days=3),
    )
    DealFactory(
        company=company,
        name="Won long ago",
        status=DealStatus.WON,
        value=Decimal("99999"),
        closed_at=today - timedelta(days=90),
    )
    theirs = CompanyFactory(account=other_tenant.account, name="SECRET-MARKER Co")
    DealFactory(company=theirs, name="SECRET-MARKER deal", status=DealStatus.WON, closed_at=today)
    return company


@pytest.mark.django_db
class TestDashboardSelector:
    def test_counts_and_won_totals_per_currency(self, tenant, records):
        dash = dashboard_get(account=tenant.account, user=tenant.member)
        assert (dash.companies.value, dash.persons.value, dash.open_deals.value) == (1, 1, 2)
        assert dash.my_open_deals.value == 1
        assert not dash.companies.more
        # EUR has no rate: counted, its value kept apart.
        assert (dash.won.count, dash.won.value) == (2, Decimal("1500.50"))
        assert [(u.currency, u.count, u.value) for u in dash.won.unconverted] == [("EUR", 1, Decimal("200.00"))]
        assert [d.name for d in dash.recent_deals][:1] == ["Won long ago"]
        assert len(dash.recent_deals) == 5

    def test_counts_stop_at_the_limit(self, tenant, settings):
        settings.LIST_COUNT_LIMIT = 3
        for _ in range(5):
            CompanyFactory(account=tenant.account)
        dash = dashboard_get(account=tenant.account, user=tenant.member)
        assert (dash.companies.value, dash.companies.more) == (3, True)

    def test_recent_deals_are_bounded(self, tenant):
        company = CompanyFactory(account=tenant.account)
        for _ in range(12):
            DealFactory(company=company)
        assert len(dashboard_get(account=tenant.account, user=tenant.member).recent_deals) == 8


@pytest.mark.django_db
class TestDashboardPage:
    def test_shows_counts_recent_deals_and_nothing_of_other_accounts(self, tenant, records, member_client):
        response = member_client.get(tenant.url(""))
        assert response.status_code == 200
        assert "Open one" in response.text
        assert "Recent deals" in response.text
        assert "SECRET-MARKER" not in response.text

    def test_fixed_number_of_queries(self, tenant, records, member_client, django_assert_max_num_queries):
        member_client.get(tenant.url(""))
        company = records
        for _ in range(20):
            DealFactory(company=company, owner=tenant.member, person=PersonFactory(company=company))
        # Session, user, memberships (this account's and the header's account list), four bounded counts, the
        # exchange rates and the won tallies, recent deals.
        with django_assert_max_num_queries(10):
            member_client.get(tenant.url(""))

    def test_viewer_sees_no_create_links(self, tenant, records, viewer_client, member_client):
        viewer_html = viewer_client.get(tenant.url("")).text
        assert "quicklinks" not in viewer_html
        assert "quicklinks" in member_client.get(tenant.url("")).text

    def test_money_is_localized(self, tenant, records, member_client):
        member_client.cookies["django_language"] = "pl"
        html = member_client.get(tenant.url("")).text
        assert "1\xa0500,50 PLN" in html
        member_client.cookies["django_language"] = "en"
        html = member_client.get(tenant.url("")).text
        assert "1,500.50 PLN" in html


@pytest.mark.django_db
def test_dashboard_links_lead_to_filtered_lists(tenant, records, member_client):
    html = member_client.get(tenant.url("")).text
    mine = f"{tenant.url('deals/')}?status=open&amp;owner={tenant.member.pk}"
    assert mine in html
    response = member_client.get(mine.replace("&amp;", "&"))
    assert response.status_code == 200
    assert "Open one" in response.text
    assert "Open two" not in response.text
    for url in (tenant.url("companies/new/"), tenant.url("persons/new/"), tenant.url("deals/new/")):
        assert f'href="{url}"' in html
    assert f'href="{tenant.url("deals/")}' in html
    open_one = Deal.objects.for_account(tenant.account).get(name="Open one")
    assert f'href="{tenant.url(f"deals/{open_one.pk}/")}"' in html


# --- Won in the last 30 days: the Statistics page's figure, exchange rates included -------------------------


@pytest.fixture
def won_deals(tenant):
    """Won today, 29 days ago (the first day of the last 30) and 30 days ago (outside), in PLN, EUR and USD."""
    account = tenant.account
    today = account_today(account)
    for value, currency, days_ago in [
        ("1000.00", "PLN", 0),
        ("100.00", "EUR", 3),
        ("0.01", "EUR", 29),
        ("333.33", "USD", 10),
        ("5000.00", "PLN", 30),
    ]:
        DealFactory(
            account=account,
            status=DealStatus.WON,
            value=Decimal(value),
            currency=currency,
            closed_at=today - timedelta(days=days_ago),
        )
    return today


def won_panel(html: str) -> str:
    return html.split('id="won-title"', 1)[1].split("</section>", 1)[0]


def test_won_in_the_last_30_days_converts_at_the_exchange_rates(tenant, won_deals, admin_client):
    account = tenant.account
    account.sources_enabled = True
    account.save()
    ExchangeRate.objects.create(account=account, currency="EUR", base_currency="PLN", rate=Decimal("4.2712"))
    ExchangeRate.objects.create(account=account, currency="USD", base_currency="PLN", rate=Decimal("3.98765432"))

    panel = won_panel(admin_client.get(tenant.url("")).text)
    # 1,000.00 + (100.01 EUR x 4.2712 = 427.162712 -> 427.16) + (333.33 USD x 3.98765432 = 1,329.2048... -> 1,329.20).
    assert "<strong>2,756.36 PLN</strong>" in panel
    assert "4 deals" in panel
    assert "no exchange rate" not in panel
    # The same figure as the Statistics page's total for "Last 30 days".
    stats = admin_client.get(tenant.url("stats/sources/"), {"period": "last_30"}).context["stats"]
    assert stats.closed_deals.total.won_value == Decimal("2756.36")
    assert stats.closed_deals.total.won_count == 4
    assert f'href="{tenant.url("stats/sources/")}?period=last_30"' in panel


def test_a_currency_without_a_rate_is_counted_and_shown_apart(tenant, won_deals, admin_client, member_client):
    ExchangeRate.objects.create(account=tenant.account, currency="EUR", base_currency="PLN", rate=Decimal("4.2712"))
    panel = won_panel(admin_client.get(tenant.url("")).text)
    # USD has no rate: 1,000.00 + 427.16 PLN, and the USD deal apart, in USD, with a way to add the rate.
    assert "<strong>1,427.16 PLN</strong>" in panel
    assert "4 deals" in panel
    assert "+ 333.33 USD (1 deal): no exchange rate to PLN, not included above" in panel
    assert f'href="{tenant.url("settings/rates/")}?currency=USD"' in panel
    assert "settings/rates/" not in won_panel(member_client.get(tenant.url("")).text)

    member_client.cookies["django_language"] = "pl"
    panel = won_panel(member_client.get(tenant.url("")).text)
    assert "<strong>1\xa0427,16 PLN</strong>" in panel
    assert "+ 333,33 USD (1 szansa sprzedaży): brak kursu waluty wobec PLN, nie wliczono powyżej" in panel
