from __future__ import annotations

import csv
import io
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from headwater.stats.filters import StatsFilters
from headwater.stats.models import ExchangeRate
from headwater.stats.selectors import source_stats, source_stats_and_trend, source_trend
from headwater.stats.tests.sample import build_sample
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, DealFactory, MembershipFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(tenant):
    return build_sample(tenant.account, owner=tenant.member, other_owner=tenant.admin)


def page(client: Client, tenant, query: str = ""):
    return client.get(tenant.url(f"stats/sources/{query}"))


# --- Access ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_every_member_sees_the_page(tenant, sample, role):
    response = page(tenant.client_for(role), tenant)
    assert response.status_code == 200
    assert "Acquisition source statistics" in response.content.decode()


def test_other_accounts_get_404_and_strangers_the_login(tenant, other_tenant, sample):
    assert page(other_tenant.client_for("admin"), tenant).status_code == 404
    response = page(Client(), tenant)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_feature_off_says_so_and_links_admins_to_the_settings(tenant):
    admin = page(tenant.client_for("admin"), tenant).content.decode()
    assert "switched off" in admin
    assert tenant.url("settings/sources/") in admin
    member = page(tenant.client_for("member"), tenant).content.decode()
    assert "switched off" in member
    assert tenant.url("settings/sources/") not in member
    assert tenant.client_for("admin").get(tenant.url("stats/sources/export.csv")).status_code == 404


# --- Figures and links -----------------------------------------------------------------------------------


def test_page_shows_the_selector_figures(tenant, sample):
    response = page(tenant.client_for("viewer"), tenant)
    html = response.content.decode()
    stats = response.context["stats"]
    assert stats == source_stats(account=tenant.account, filters=StatsFilters())
    assert stats.open_deals.total.value == Decimal("2350.50")
    assert "2,350.50" in html
    assert "9,250.00" in html  # Website's won value (5,000 PLN + 1,000 EUR at 4.25)
    assert "Highest won value: <strong><bdi>Website</bdi></strong>, 9,250.00 PLN." in html
    assert "Best win rate: <strong><bdi>Referral</bdi></strong>, 100.0%" in html
    assert "Trade fair" in html
    assert "archived" in html
    assert "No source" in html
    # USD has no rate: counted, shown apart, with a warning.
    assert "USD: 2 deals worth 400.00 USD" in html
    assert "+ 300.00 USD" in html


def test_counts_link_to_the_matching_filtered_lists(tenant, sample):
    html = page(
        tenant.client_for("viewer"), tenant, f"?period=custom&start=2025-05-01&end=2025-05-31&owner={tenant.member.pk}"
    ).content.decode()
    companies = tenant.url("companies/")
    assert (
        f'href="{companies}?source={sample.website.pk}&amp;owner={tenant.member.pk}'
        '&amp;created_from=2025-05-01&amp;created_to=2025-05-31"' in html
    )
    deals = tenant.url("deals/")
    assert (
        f'href="{deals}?source=none&amp;owner={tenant.member.pk}&amp;status=lost'
        '&amp;closed_from=2025-05-01&amp;closed_to=2025-05-31&amp;sort=-closed"' in html
    )
    assert f'href="{deals}?owner={tenant.member.pk}&amp;status=open&amp;created_from=2025-05-01' in html


def test_period_owner_and_comparison(tenant, sample):
    query = f"?period=custom&start=2025-05-01&end=2025-05-31&compare=on&owner={tenant.member.pk}"
    stats = page(tenant.client_for("viewer"), tenant, query).context["stats"]
    assert stats.previous_period.start.isoformat() == "2025-03-31"
    assert stats.previous_period.end.isoformat() == "2025-04-30"
    website = stats.contacts.rows[0]
    assert website.source.name == "Website"
    assert (website.companies, website.changes["companies"].delta) == (2, Decimal(2))
    closed_total = stats.closed_deals.total
    # May, member's deals: Website won 5,000 and lost 700 (Referral's win belongs to the admin).
    assert (closed_total.won_count, closed_total.won_value, closed_total.lost_count) == (1, Decimal("5000.00"), 1)


def test_unassigned_owner_filter(tenant, sample):
    CompanyFactory(account=tenant.account, owner=None)
    stats = page(tenant.client_for("viewer"), tenant, "?owner=none").context["stats"]
    assert stats.contacts.total.companies == 1


def test_sorting_by_a_column_and_back(tenant, sample):
    client = tenant.client_for("viewer")
    response = page(client, tenant, "?sort_closed=-won_value")
    names = [r.row.source.name for r in response.context["sections"]["closed"]["rows"]]
    assert names[:3] == ["Website", "Referral", "Trade fair"]
    html = response.content.decode()
    assert 'aria-sort="descending"' in html
    assert "sort_closed=won_value" in html  # the header now reverses the order
    ascending = [r.row for r in page(client, tenant, "?sort_open=value").context["sections"]["open"]["rows"]]
    assert [r.value for r in ascending] == sorted(r.value for r in ascending)
    default = page(client, tenant, "?sort_open=").context["sections"]["open"]["rows"]
    assert [r.row.source.name for r in default][:2] == ["Website", "Referral"]


def test_an_unknown_order_is_explained_and_not_carried_on(tenant, sample):
    """Before, `?sort_open=nonsense` silently fell back to the catalogue order."""
    response = page(tenant.client_for("viewer"), tenant, "?sort_open=nonsense&sort_closed=-won_value")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown order “nonsense”" in html
    assert "source, count, value, average" in html
    # The valid order stays in a hidden input; the wrong one is dropped, so "Show" gets a page again.
    assert '<input type="hidden" name="sort_closed" value="-won_value">' in html
    assert 'name="sort_open"' not in html
    assert 'name="sort_contacts"' not in html  # no empty order either


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?period=custom", "start", "Enter the first day"),
        ("?period=custom&start=2025-05-02&end=2025-05-01", "end", "cannot be before"),
        ("?period=this_year&start=2025-01-01", "period", "Custom range"),
        ("?start=2025-13-01&end=2025-01-01", "start", "Enter a valid date"),
        ("?owner_id=999999", "owner_id", "Select a valid choice"),
        ("?owner=999999", "owner_id", "Select a valid choice"),  # the old name, checked as owner_id
        ("?owner_id=%C2%B9", "owner_id", "Select a valid choice"),  # "¹": a digit to str.isdigit(), not to int()
        ("?owner=none&owner_id=", "owner_id", "Give the owner once"),
        ("?compare=maybe", "compare", "compare=true or compare=false"),
        ("?compare=2", "compare", "compare=true or compare=false"),
        ("?period=yesterday", "period", "Select a valid choice"),
    ],
)
def test_bad_filters_are_explained_next_to_the_field(tenant, sample, query, field, message):
    response = page(tenant.client_for("viewer"), tenant, query)
    assert response.status_code == 400
    assert response.context["stats"] is None
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.content.decode()


def test_owner_of_another_account_is_refused(tenant, other_tenant, sample):
    for name in ("owner_id", "owner"):
        response = page(tenant.client_for("viewer"), tenant, f"?{name}={other_tenant.admin.pk}")
        assert response.status_code == 400


def test_the_form_sends_owner_id_and_compare_true_and_the_old_names_still_work(tenant, sample):
    client = tenant.client_for("viewer")
    owner = tenant.member.pk
    new = page(client, tenant, f"?period=custom&start=2025-05-01&end=2025-05-31&owner_id={owner}&compare=true")
    old = page(client, tenant, f"?period=custom&start=2025-05-01&end=2025-05-31&owner={owner}&compare=on")
    assert new.status_code == old.status_code == 200
    assert new.context["stats"] == old.context["stats"]
    assert new.context["stats"].filters.owner_id == owner
    assert new.context["stats"].previous_period is not None
    for response in (new, old):
        html = response.content.decode()
        # What the form submits next time: the one set of names.
        assert '<select name="owner_id" id="id_owner_id">' in html
        assert f'<option value="{owner}" selected>' in html
        assert '<input type="checkbox" name="compare" value="true" id="id_compare" checked>' in html
    agreeing = page(client, tenant, f"?owner={owner}&owner_id={owner}")
    assert agreeing.status_code == 200
    for value in ("false", "off", "0", "no"):
        unchecked = page(client, tenant, f"?period=last_90&compare={value}")
        assert unchecked.context["stats"].previous_period is None
        assert 'name="compare" value="true" id="id_compare">' in unchecked.content.decode()


def test_compare_without_a_period_says_why_nothing_is_compared(tenant, sample):
    response = page(tenant.client_for("viewer"), tenant, "?compare=on")
    assert response.context["stats"].previous_period is None
    assert "has nothing before it" in response.content.decode()


def test_query_count_does_not_grow_with_sources(tenant, django_assert_num_queries):
    tenant.account.sources_enabled = True
    tenant.account.save()
    client = tenant.client_for("viewer")
    page(client, tenant)  # warm the session
    counts = []
    for extra in (1, 15):
        for _ in range(extra):
            source = SourceFactory(account=tenant.account)
            DealFactory(account=tenant.account, source=source)
            CompanyFactory(account=tenant.account, source=source)
        with CaptureQueriesContext(connection) as captured:
            assert page(client, tenant, "?period=last_90&compare=on").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_page_makes_six_queries_besides_the_statistics(tenant, other_tenant, sample):
    """Session, user, the user's memberships (the tenancy check and the account switcher from one query), the last
    recomputation of the tallies (are they exact for the account's time zone?), the owner filter's members and the
    channel filter's channels: the fixed cost of the page. Every other query is the selector's (the figures' and the
    trend's, which share the rates and the catalogue: two queries fewer than the two selectors apart)."""
    MembershipFactory(account=other_tenant.account, user=tenant.viewer, role="viewer")
    client = tenant.client_for("viewer")
    query = "?period=last_90&compare=on"
    filters = page(client, tenant, query).context["stats"].filters
    with CaptureQueriesContext(connection) as selector:
        source_stats_and_trend(account=tenant.account, filters=filters, by="source")
    with CaptureQueriesContext(connection) as apart:
        source_stats(account=tenant.account, filters=filters)
        source_trend(account=tenant.account, filters=filters, by="source")
    with CaptureQueriesContext(connection) as request:
        response = page(client, tenant, query)
    assert response.status_code == 200
    assert f'href="{other_tenant.url("")}"' in response.content.decode()  # the switcher lists both accounts
    assert len(request) == len(selector) + 6, [q["sql"] for q in request.captured_queries]
    assert len(selector) == len(apart) - 2


# --- CSV -----------------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # a UTF-8 BOM, so Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def csv_section(rows: list[list[str]], title: str) -> list[list[str]]:
    start = rows.index([title])
    end = rows.index([], start)
    return rows[start + 1 : end]


def test_csv_has_the_page_figures_in_the_page_order(tenant, sample):
    client = tenant.client_for("viewer")
    query = "?period=custom&start=2025-03-01&end=2025-06-30&compare=on&sort_closed=-won_value"
    stats = page(client, tenant, query).context["stats"]
    rows = read_csv(client.get(tenant.url(f"stats/sources/export.csv{query}")))
    closed = csv_section(rows, "Closed deals")
    header, body = closed[0], closed[1:]
    assert header[:5] == ["Source", "Channel", "Archived", "Won", "Won value (PLN)"]
    assert [r[0] for r in body] == ["Website", "Referral", "Trade fair", "Cold call", "No source", "Total"]
    total = body[-1]
    assert total[3:5] == [str(stats.closed_deals.total.won_count), str(stats.closed_deals.total.won_value)]
    assert body[2][1] == "No channel"  # every source names its channel
    assert body[2][2] == "yes"  # Trade fair is archived
    assert "Won: change" in header
    contacts = csv_section(rows, "Contacts")
    assert contacts[-1][:7] == ["Total", "", "", "6", "100.0", "4", "100.0"]
    assert ["No exchange rate", "USD", "2 deals, 400.00 USD, not included in the values"] in rows


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "\nx"])
def test_csv_cells_cannot_become_formulas(tenant, name):
    tenant.account.sources_enabled = True
    tenant.account.save()
    source = SourceFactory(account=tenant.account, name=name)
    DealFactory(account=tenant.account, source=source)
    rows = read_csv(tenant.client_for("viewer").get(tenant.url("stats/sources/export.csv")))
    cells = [r[0] for r in csv_section(rows, "Open deals")[1:]]
    assert f"'{name}" in cells
    assert name not in cells


HOSTILE_NAMES = [
    "Web;=cmd|' /C calc'!A0",  # issue 11: a spreadsheet that splits on ";" saw a formula
    "Web,=1+1",
    'Say "=2+2"',
    "a;+SUM(1);b",
    "x;@A1",
    "y;-3+3",
]


def _formula_cells(text: str, delimiter: str) -> list[str]:
    """Cells a spreadsheet splitting on `delimiter` would run as formulas (a negative number is a number)."""
    found = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        for cell in row:
            if not cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                continue
            try:
                Decimal(cell)
            except ArithmeticError:
                found.append(cell)
    return found


def test_csv_is_safe_whatever_delimiter_the_spreadsheet_splits_on(tenant):
    tenant.account.sources_enabled = True
    tenant.account.name = "Firma;=1+1"
    tenant.account.save()
    for i, name in enumerate(HOSTILE_NAMES):
        source = SourceFactory(account=tenant.account, name=name, position=i)
        DealFactory(account=tenant.account, source=source, value=Decimal("10.00") * (i + 1))
    response = tenant.client_for("viewer").get(tenant.url("stats/sources/export.csv?compare=on"))
    text = response.content.decode()
    for delimiter in (",", ";", "\t"):
        assert _formula_cells(text, delimiter) == [], delimiter
    # Split on commas (the file's own delimiter) every name is one whole cell; an apostrophe marks where a
    # spreadsheet splitting on ";" would have started a formula.
    cells = [r[0] for r in csv_section(read_csv(response), "Open deals")[1:]]
    assert cells[: len(HOSTILE_NAMES)] == [
        "Web;'=cmd|' /C calc'!A0",
        "Web,=1+1",
        'Say "=2+2"',
        "a;'+SUM(1);b",
        "x;'@A1",
        "y;'-3+3",
    ]
    assert '"Say ""=2+2"""' in text
    assert ',"Firma;\'=1+1"' in text


def test_csv_with_bad_filters_is_a_400(tenant, sample):
    response = tenant.client_for("viewer").get(tenant.url("stats/sources/export.csv?period=custom"))
    assert response.status_code == 400
    assert "start" in response.content.decode()


def test_csv_takes_the_same_names_and_the_old_ones(tenant, sample):
    client = tenant.client_for("viewer")
    url = tenant.url("stats/sources/export.csv")
    dates = "period=custom&start=2025-04-01&end=2025-05-31"
    new = client.get(f"{url}?{dates}&owner_id={tenant.member.pk}&compare=true&sort_open=-value")
    old = client.get(f"{url}?{dates}&owner={tenant.member.pk}&compare=on&sort_open=-value")
    assert new.status_code == old.status_code == 200
    assert new.content == old.content
    rows = read_csv(new)
    assert ["Owner", tenant.member.display_name] in rows
    assert rows[2][0] == "Compared with"
    assert "no-store" in new["Cache-Control"]
    for query, field in (("compare=maybe", "compare"), ("sort_open=nonsense", "sort_open")):
        refused = client.get(f"{url}?{query}")
        assert refused.status_code == 400
        assert refused.content.decode().startswith(f"{field}:")


# --- Page, CSV and API agree ------------------------------------------------------------------------------


def test_page_csv_and_api_agree(tenant, sample):
    query = {"period": "custom", "start": "2025-04-01", "end": "2025-05-31", "compare": "on"}
    client = tenant.client_for("viewer")
    qs = "?" + "&".join(f"{k}={v}" for k, v in query.items())
    stats = page(client, tenant, qs).context["stats"]
    rows = read_csv(client.get(tenant.url(f"stats/sources/export.csv{qs}")))
    api = api_for(tenant, "viewer").get("/stats/sources", {**query, "compare": "true"}).json()

    open_csv = csv_section(rows, "Open deals")[1:]
    for row, csv_row, api_row in zip(
        [*stats.open_deals.rows, stats.open_deals.total],
        open_csv,
        [*api["open_deals"]["rows"], api["open_deals"]["total"]],
        strict=True,
    ):
        assert csv_row[3] == str(row.count) == str(api_row["count"])
        assert Decimal(csv_row[5]) == row.value == Decimal(api_row["value"])
        assert (Decimal(csv_row[4]) if csv_row[4] else None) == row.count_share
        assert api_row["changes"]["count"]["delta"] == str(row.changes["count"].delta)
    closed_csv = csv_section(rows, "Closed deals")[1:]
    for row, csv_row, api_row in zip(
        [*stats.closed_deals.rows, stats.closed_deals.total],
        closed_csv,
        [*api["closed_deals"]["rows"], api["closed_deals"]["total"]],
        strict=True,
    ):
        assert Decimal(csv_row[4]) == row.won_value == Decimal(api_row["won_value"])
        win_rate = None if api_row["win_rate"] is None else Decimal(api_row["win_rate"])
        assert (Decimal(csv_row[7]) if csv_row[7] else None) == row.win_rate == win_rate


# --- Exchange rates settings ------------------------------------------------------------------------------


def rates_url(tenant):
    return tenant.url("settings/rates/")


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_rates_are_for_admins_only(tenant, role):
    client = tenant.client_for(role)
    assert client.get(rates_url(tenant)).status_code == 403
    response = client.post(rates_url(tenant), {"action": "add", "new-currency": "EUR", "new-rate": "4.3"})
    assert response.status_code == 403
    assert not ExchangeRate.objects.for_account(tenant.account).exists()


def test_admin_adds_changes_and_deletes_a_rate(tenant):
    client = tenant.client_for("admin")
    response = client.post(rates_url(tenant), {"action": "add", "new-currency": "eur", "new-rate": "4.3215"})
    assert response.status_code == 302
    rate = ExchangeRate.objects.for_account(tenant.account).get()
    assert (rate.currency, rate.rate, rate.base_currency, rate.updated_by) == (
        "EUR",
        Decimal("4.3215"),
        "PLN",
        tenant.admin,
    )
    html = client.get(rates_url(tenant)).content.decode()
    assert 'value="4.3215"' in html
    assert "1 EUR in PLN" in html
    response = client.post(
        rates_url(tenant),
        {"action": "update", "rate_id": rate.pk, f"rate-{rate.pk}-rate": "4.4", f"rate-{rate.pk}-version": 1},
    )
    assert response.status_code == 302
    rate.refresh_from_db()
    assert (rate.rate, rate.version) == (Decimal("4.4"), 2)
    # A stale version is refused with a clear message and changes nothing.
    response = client.post(
        rates_url(tenant),
        {"action": "update", "rate_id": rate.pk, f"rate-{rate.pk}-rate": "9", f"rate-{rate.pk}-version": 1},
    )
    assert response.status_code == 400
    assert "Someone else changed" in response.content.decode()
    rate.refresh_from_db()
    assert rate.rate == Decimal("4.4")
    assert client.post(rates_url(tenant), {"action": "delete", "rate_id": rate.pk}).status_code == 302
    assert not ExchangeRate.objects.for_account(tenant.account).exists()


@pytest.mark.parametrize(
    ("currency", "rate", "field", "message"),
    [
        ("EU", "4", "currency", "three-letter"),
        ("E1R", "4", "currency", "three-letter"),
        ("PLN", "1", "currency", "base currency"),
        # Three letters, but no currency (XXX is ISO's own "no currency", not a price anyone pays).
        ("XYZ", "4", "currency", "not an ISO 4217 currency code"),
        ("xyz", "4", "currency", "not an ISO 4217 currency code"),
        ("XXX", "4", "currency", "not an ISO 4217 currency code"),
        ("EUR", "0", "rate", "greater than zero"),
        ("EUR", "-1", "rate", "greater than zero"),
        ("EUR", "1.123456789", "rate", "8 decimal places"),
        ("EUR", "abc", "rate", "Enter a number"),
    ],
)
def test_bad_rates_are_refused_next_to_the_field(tenant, currency, rate, field, message):
    response = tenant.client_for("admin").post(
        rates_url(tenant), {"action": "add", "new-currency": currency, "new-rate": rate}
    )
    assert response.status_code == 400
    form = response.context["add_form"]
    assert message in " ".join(form.errors[field])
    assert not ExchangeRate.objects.for_account(tenant.account).exists()


def test_any_iso_currency_gets_a_rate_not_only_the_common_ones(tenant):
    response = tenant.client_for("admin").post(
        rates_url(tenant), {"action": "add", "new-currency": "jpy", "new-rate": "0.02712"}
    )
    assert response.status_code == 302
    rate = ExchangeRate.objects.for_account(tenant.account).get()
    assert (rate.currency, rate.rate) == ("JPY", Decimal("0.02712"))


@pytest.mark.parametrize("rate_id", ["¹", "٣", "9" * 30, "", "-1"])
def test_a_rate_id_that_is_no_id_is_a_400(tenant, rate_id):
    client = tenant.client_for("admin")
    client.post(rates_url(tenant), {"action": "add", "new-currency": "EUR", "new-rate": "4"})
    for action in ("update", "delete"):
        assert client.post(rates_url(tenant), {"action": action, "rate_id": rate_id}).status_code == 400
    assert ExchangeRate.objects.for_account(tenant.account).count() == 1


def test_a_second_rate_for_the_same_currency_is_refused(tenant):
    client = tenant.client_for("admin")
    client.post(rates_url(tenant), {"action": "add", "new-currency": "EUR", "new-rate": "4"})
    response = client.post(rates_url(tenant), {"action": "add", "new-currency": "EUR", "new-rate": "5"})
    assert response.status_code == 400
    assert "already a rate for EUR" in response.content.decode()


def test_rates_of_another_account_are_404(tenant, other_tenant):
    theirs = ExchangeRate.unscoped.create(
        account=other_tenant.account, currency="EUR", base_currency="PLN", rate=Decimal("4")
    )
    client = tenant.client_for("admin")
    assert client.post(rates_url(tenant), {"action": "delete", "rate_id": theirs.pk}).status_code == 404
    response = client.post(
        rates_url(tenant),
        {"action": "update", "rate_id": theirs.pk, f"rate-{theirs.pk}-rate": "1", f"rate-{theirs.pk}-version": 1},
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.rate == Decimal("4")


def test_a_rate_for_an_old_base_currency_is_marked_and_fixed_by_saving(tenant):
    rate = ExchangeRate.unscoped.create(
        account=tenant.account, currency="EUR", base_currency="USD", rate=Decimal("1.1")
    )
    client = tenant.client_for("admin")
    assert "set against USD, not used" in client.get(rates_url(tenant)).content.decode()
    client.post(
        rates_url(tenant),
        {"action": "update", "rate_id": rate.pk, f"rate-{rate.pk}-rate": "4.3", f"rate-{rate.pk}-version": 1},
    )
    rate.refresh_from_db()
    assert rate.base_currency == "PLN"


def test_missing_rate_warning_links_admins_to_the_rates_page(tenant, sample):
    html = page(tenant.client_for("admin"), tenant).content.decode()
    assert f'href="{rates_url(tenant)}?currency=USD"' in html
    assert rates_url(tenant) not in page(tenant.client_for("member"), tenant).content.decode()
    add_form = tenant.client_for("admin").get(rates_url(tenant) + "?currency=USD").content.decode()
    assert 'value="USD"' in add_form


def test_drilldown_url_parameters(tenant, sample):
    html = page(tenant.client_for("viewer"), tenant, "?period=custom&start=2025-05-01&end=2025-05-31").content.decode()
    link = next(
        part
        for part in html.split('href="')
        if part.startswith(tenant.url("deals/") + "?source=" + str(sample.website.pk)) and "status=won" in part
    )
    params = parse_qs(urlsplit(link.split('"')[0].replace("&amp;", "&")).query)
    assert params == {
        "source": [str(sample.website.pk)],
        "status": ["won"],
        "closed_from": ["2025-05-01"],
        "closed_to": ["2025-05-31"],
        "sort": ["-closed"],
    }


def test_drilldown_links_open_lists_with_exactly_the_counted_records(tenant, sample):
    """Follow every count link of a custom period: each list holds as many records as the cell says."""
    client = tenant.client_for("viewer")
    response = page(client, tenant, "?period=custom&start=2025-04-01&end=2025-05-31")
    stats = response.context["stats"]
    checked = 0
    for section, figures in (
        ("contacts", lambda r: [("companies", r.companies), ("persons", r.persons)]),
        ("open", lambda r: [("open", r.count)]),
        ("closed", lambda r: [("won", r.won_count), ("lost", r.lost_count)]),
    ):
        shown = response.context["sections"][section]
        for view in [*shown["rows"], shown["total"]]:
            for cell, (what, expected) in zip([c for c in view.cells if 'href="' in c], figures(view.row), strict=True):
                url = cell.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
                listed = client.get(url)
                assert listed.status_code == 200, url
                assert len(listed.context["page"].rows) == expected, (what, url)
                checked += 1
    assert checked >= 10
    assert stats.period is not None


def test_record_lists_refuse_a_reversed_date_range(tenant, sample):
    response = tenant.client_for("viewer").get(tenant.url("deals/?closed_from=2025-05-02&closed_to=2025-05-01"))
    assert "The last day cannot be before the first day." in response.content.decode()
    assert response.context["page"] is None
