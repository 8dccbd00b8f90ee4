"""The trend on the Statistics page and in /api/v1/stats/trend: new contacts and won value per month, stacked by
source or channel, compared with a plain-Python computation over the records."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.channels.services import channel_create
from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import Source
from headwater.sources.services import source_set_channel
from headwater.stats import trend as trend_module
from headwater.stats.filters import DateRange, StatsFilters
from headwater.stats.money import MoneyGroup, cent_ratios, convert_cents
from headwater.stats.selectors import source_trend
from headwater.stats.services import exchange_rate_create
from headwater.testing.api import ApiClient
from headwater.testing.factories import (
    AccountFactory,
    CompanyFactory,
    DealFactory,
    MembershipFactory,
    PersonFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

RATE = Decimal("4.2712")


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def reference(account, months: list[dt.date], owner_id: int | None = None) -> dict[str, Any]:
    """Per (source id, month): contacts; won value converted per (month, source, currency) group, half up to the
    cent; and the value without a rate per (month, currency)."""
    zone = ZoneInfo(account.time_zone)
    contacts: dict[tuple[Any, dt.date], int] = {}
    for model in (Company, Person):
        for contact in model.objects.for_account(account):
            if owner_id is not None and contact.owner_id != owner_id:
                continue
            month = month_of(contact.created_at.astimezone(zone).date())
            if month in months:
                contacts[(contact.source_id, month)] = contacts.get((contact.source_id, month), 0) + 1
    groups: dict[tuple[Any, dt.date, str], Decimal] = {}
    for deal in Deal.objects.for_account(account).filter(status="won", closed_at__isnull=False):
        if owner_id is not None and deal.owner_id != owner_id:
            continue
        month = month_of(deal.closed_at)
        if month in months:
            key = (deal.source_id, month, deal.currency)
            groups[key] = groups.get(key, Decimal("0.00")) + deal.value
    won: dict[tuple[Any, dt.date], Decimal] = {}
    apart: dict[tuple[dt.date, str], Decimal] = {}
    for (source_id, month, currency), total in groups.items():
        if currency == account.currency:
            value = total
        elif currency == "EUR":
            value = (total * RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        else:
            apart[(month, currency)] = apart.get((month, currency), Decimal("0.00")) + total
            continue
        won[(source_id, month)] = won.get((source_id, month), Decimal("0.00")) + value
    return {"contacts": contacts, "won": won, "apart": apart}


moments = st.sampled_from(
    [
        # Around the end of May in Tokyo (UTC+9): 31 May 15:00 UTC is already 1 June there.
        dt.datetime(2025, 5, 2, 3, tzinfo=dt.UTC),
        dt.datetime(2025, 5, 31, 14, 59, tzinfo=dt.UTC),
        dt.datetime(2025, 5, 31, 15, tzinfo=dt.UTC),
        dt.datetime(2025, 7, 20, 8, tzinfo=dt.UTC),
    ]
)
records = st.lists(
    st.tuples(
        st.sampled_from(["company", "person", "won", "open"]),
        st.integers(0, 2),  # source (2: none)
        st.integers(0, 1),  # owner
        moments,
        st.sampled_from(["PLN", "EUR", "USD"]),
        st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False, allow_infinity=False),
        st.sampled_from([dt.date(2025, 5, 31), dt.date(2025, 6, 1), dt.date(2025, 8, 3)]),
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=records, by_owner=st.booleans(), whole=st.booleans())
def test_the_trend_equals_a_computation_over_the_records(items, by_owner, whole):
    account = AccountFactory(sources_enabled=True, time_zone="Asia/Tokyo", currency="PLN")
    viewer = UserFactory(email=f"viewer-{account.pk}@trend.test")
    MembershipFactory(account=account, user=viewer, role="viewer")
    owner = UserFactory(email=f"owner-{account.pk}@trend.test")
    MembershipFactory(account=account, user=owner, role="member")
    owners = [viewer, owner]
    exchange_rate_create(account=account, user=None, currency="EUR", rate=RATE)
    sources = [SourceFactory(account=account, position=i) for i in range(2)]
    for kind, source_pick, owner_pick, moment, currency, value, closed in items:
        source = sources[source_pick] if source_pick < 2 else None
        common = {"account": account, "source": source, "owner": owners[owner_pick], "created_at": moment}
        if kind == "company":
            CompanyFactory(**common)
        elif kind == "person":
            PersonFactory(**common)
        else:
            DealFactory(
                **common,
                status=kind,
                currency=currency,
                value=value,
                closed_at=closed if kind == "won" else None,
            )
    # May to July, days around them: the first and last months count whole.
    params = {"period": "custom", "start": "2025-05-15", "end": "2025-07-10"}
    if whole:
        params = {"period": "custom", "start": "2025-05-01", "end": "2025-08-31"}
    if by_owner:
        params["owner_id"] = str(owner.pk)
    response = ApiClient(account=account, user=viewer).get("/stats/trend", params)
    assert response.status_code == 200, response.content
    body = response.json()
    months = [dt.date.fromisoformat(m) for m in body["months"]]
    assert months == (
        [dt.date(2025, m, 1) for m in (5, 6, 7, 8)] if whole else [dt.date(2025, m, 1) for m in (5, 6, 7)]
    )
    expected = reference(account, months, owner.pk if by_owner else None)
    for series in body["series"]:
        source_id = series["source"]["id"]
        for at, month in enumerate(months):
            assert series["contacts"][at] == expected["contacts"].get((source_id, month), 0)
            assert Decimal(series["won_value"][at]) == expected["won"].get((source_id, month), Decimal("0.00"))
    for at, month in enumerate(months):
        assert body["contacts_total"][at] == sum(n for (s, m), n in expected["contacts"].items() if m == month)
        assert Decimal(body["won_value_total"][at]) == sum(
            (v for (s, m), v in expected["won"].items() if m == month), Decimal("0.00")
        )
    apart = {(dt.date.fromisoformat(u["month"]), u["currency"]): Decimal(u["value"]) for u in body["unconverted"]}
    assert apart == dict(expected["apart"].items())
    shown = {s["source"]["id"] for s in body["series"]}
    assert {s for s, _m in expected["contacts"]} | {s for s, _m in expected["won"]} <= shown


# --- The page, the switch, the API's validation, tenancy ---------------------------------------------------


@pytest.fixture
def trend_sample(tenant, other_tenant):
    account = tenant.account
    account.sources_enabled = True
    account.save()
    paid = channel_create(account=account, user=tenant.admin, name="Paid")
    web = SourceFactory(account=account, name="Website", position=1)
    ads = SourceFactory(account=account, name="Ads", position=2)
    for source in (web, ads):
        source_set_channel(account=account, user=tenant.admin, source=source, channel_id=paid.pk)
    may = dt.datetime(2025, 5, 10, 12, tzinfo=dt.UTC)
    CompanyFactory(account=account, source=web, created_at=may)
    PersonFactory(account=account, source=ads, created_at=may)
    DealFactory(account=account, source=web, status="won", value=Decimal("100.00"), closed_at=dt.date(2025, 6, 3))
    DealFactory(account=account, source=ads, status="won", value=Decimal("50.00"), closed_at=dt.date(2025, 6, 4))
    DealFactory(
        account=account, source=ads, status="won", value=Decimal("7.00"), currency="USD", closed_at=dt.date(2025, 6, 4)
    )
    other = other_tenant.account
    other.sources_enabled = True
    other.save()
    CompanyFactory(account=other, created_at=may)
    return paid


QUERY = "?period=custom&start=2025-05-01&end=2025-06-30"


def test_page_by_source_and_by_channel(tenant, trend_sample):
    client = tenant.client_for("viewer")
    response = client.get(tenant.url(f"stats/sources/{QUERY}"))
    assert response.status_code == 200
    trend = response.context["trend"]
    assert [s.source.name for s in trend.series] == ["Website", "Ads"]
    assert trend.contacts_total == [2, 0]
    assert trend.won_values == [Decimal("0.00"), Decimal("150.00")]
    html = response.content.decode()
    assert 'id="chart-trend-contacts"' in html
    # The figures' tables load when "Show the figures" is opened (stats/part_views.py; test_part_views.py).
    assert 'id="stats-trend-won-figures"' in html
    assert 'id="stats-trend-won"' not in html
    won = client.get(tenant.url(f"stats/sources/trend-figures/{QUERY}&figures=won"), HTTP_HX_REQUEST="true")
    assert won.status_code == 200
    assert 'id="stats-trend-won"' in won.content.decode()
    assert "7.00 USD (1)" in won.content.decode()  # the value without a rate, apart
    by_channel = client.get(tenant.url(f"stats/sources/{QUERY}&trend_by=channel"))
    trend = by_channel.context["trend"]
    assert [s.source.channel_name for s in trend.series] == ["Paid"]
    assert trend.won_values == [Decimal("0.00"), Decimal("150.00")]
    assert 'aria-current="true">By channel' in by_channel.content.decode()


def test_page_refuses_an_unknown_switch(tenant, trend_sample):
    response = tenant.client_for("viewer").get(tenant.url(f"stats/sources/{QUERY}&trend_by=owner"))
    assert response.status_code == 400


def test_page_in_polish(tenant, trend_sample):
    tenant.viewer.language = "pl"
    tenant.viewer.save()
    response = tenant.client_for("viewer").get(tenant.url(f"stats/sources/{QUERY}"), headers={"accept-language": "pl"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Trend" in html
    assert "Według kanału" in html
    assert "maj 2025" in html.lower()


def test_api_by_channel_and_bad_parameters(tenant, trend_sample):
    api = ApiClient(account=tenant.account, user=tenant.viewer)
    body = api.get("/stats/trend", {"period": "custom", "start": "2025-05-01", "end": "2025-06-30", "by": "channel"})
    assert body.status_code == 200, body.content
    data = body.json()
    assert data["months"] == ["2025-05-01", "2025-06-01"]
    assert [s["source"]["kind"] for s in data["series"]] == ["channel"]
    assert data["won_value_total"] == ["0.00", "150.00"]
    assert data["unconverted"] == [{"month": "2025-06-01", "currency": "USD", "count": 1, "value": "7.00"}]
    # Malformed parameters: 422 (the schema); well-formed ones the filters refuse: 400 naming the parameter, as
    # /stats/sources answers.
    for params in ({"by": "owner"}, {"period": "fortnight"}, {"start": "0"}, {"owner_id": "x y"}):
        response = api.get("/stats/trend", params)
        assert response.status_code == 422, (params, response.content)
    for params, field in (
        ({"period": "custom", "start": "2025-06-01"}, "end"),
        ({"period": "custom", "start": "2025-06-01", "end": "2025-05-01"}, "end"),
        ({"owner_id": "999999"}, "owner_id"),
        ({"channel": "999999"}, "channel"),
    ):
        response = api.get("/stats/trend", params)
        assert response.status_code == 400, (params, response.content)
        assert field in response.json()["error"]["fields"]


def test_another_account_sees_only_its_own(other_tenant, trend_sample):
    body = ApiClient(account=other_tenant.account, user=other_tenant.viewer).get("/stats/trend", {"period": "all"})
    assert body.status_code == 200
    data = body.json()
    assert sum(data["contacts_total"]) == 1
    assert all(s["source"]["name"] not in ("Website", "Ads") for s in data["series"])


def test_one_query_of_the_tallies_whatever_the_number_of_sources(tenant):
    tenant.account.sources_enabled = True
    tenant.account.save()
    counts = []
    for extra in (1, 12):
        for _ in range(extra):
            source = SourceFactory(account=tenant.account)
            CompanyFactory(account=tenant.account, source=source)
            DealFactory(account=tenant.account, source=source, status="won", closed_at=dt.date(2025, 6, 1))
        with CaptureQueriesContext(connection) as captured:
            source_trend(
                account=tenant.account,
                filters=StatsFilters(period=DateRange(dt.date(2025, 1, 1), dt.date(2026, 12, 31))),
                by="source",
            )
        counts.append(len(captured))
        assert len([q for q in captured.captured_queries if "stats_sourcetally" in q["sql"]]) == 1
    assert counts[0] == counts[1] <= 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own query of the tallies")
@pytest.mark.parametrize("period", [None, DateRange(dt.date(2025, 6, 1), dt.date(2025, 7, 31))])
def test_the_postgresql_arrays_hold_the_portable_querys_rows(tenant, trend_sample, period):
    """PostgreSQL's read (a row of arrays per source and currency, the arrays without ORDER BY) holds the portable
    query's rows, each once, the arrays aligned."""
    from headwater.stats.trend import MONTHS_FROM, _portable_trend_sql, read_trend_tallies  # noqa: PLC0415

    account = tenant.account
    ads = Source.objects.for_account(account).get(name="Ads")
    for day, currency, value in [
        (dt.date(2025, 6, 9), "EUR", Decimal("12.34")),  # two in one (month, source, currency): one tally
        (dt.date(2025, 6, 20), "EUR", Decimal("0.66")),
        (dt.date(2025, 7, 1), "PLN", Decimal("9999999.99")),
        (dt.date(2025, 7, 2), "USD", Decimal("0.00")),  # a won deal of no value still counts
    ]:
        DealFactory(account=account, source=ads, status="won", currency=currency, value=value, closed_at=day)
    CompanyFactory(account=account, source=None, created_at=dt.datetime(2025, 7, 5, tzinfo=dt.UTC))
    filters = StatsFilters(period=period)
    grouped = read_trend_tallies(account=account, filters=filters)
    flat = Counter(
        (month, source_id, currency, n, None if cents_of is None else cents_of[at])
        for source_id, currency, months, counts, cents_of in grouped
        for at, (month, n) in enumerate(zip(months, counts, strict=True))
    )
    assert all(cents_of is None or len(cents_of) == len(months) for _s, _c, months, _n, cents_of in grouped)
    params: list[Any] = [account.pk, -1]
    where = ""
    if period is not None:
        where = " AND bucket >= %s AND bucket <= %s"
        params += [period.start, period.end]
    with connection.cursor() as cursor:
        cursor.execute(_portable_trend_sql(where), params)
        rows = Counter(cursor.fetchall())
    assert flat == rows
    june = (dt.date(2025, 6, 1) - MONTHS_FROM).days
    assert (june, ads.pk, "EUR", 2, 1300) in flat
    assert (june + 30, None, None, 1, None) in flat  # the company of 5 July: contacts have no currency


def test_contacts_and_won_deals_of_one_month_add_up_per_source(tenant):
    """The read gives companies and persons as tallies of their own (a month twice in a source's list) and each
    currency's won deals apart: the trend adds them up per month, on every database."""
    account = tenant.account
    account.sources_enabled = True
    account.save()
    ads = SourceFactory(account=account, name="Ads")
    june = dt.datetime(2025, 6, 10, 12, tzinfo=dt.UTC)
    for _ in range(2):
        CompanyFactory(account=account, source=ads, created_at=june)
    PersonFactory(account=account, source=ads, created_at=june)
    DealFactory(account=account, source=ads, status="won", currency="PLN", value=Decimal("1.00"), closed_at=june.date())
    DealFactory(account=account, source=ads, status="won", currency="EUR", value=Decimal("2.00"), closed_at=june.date())
    exchange_rate_create(account=account, user=tenant.admin, currency="EUR", rate=Decimal("4.5"))
    trend = source_trend(
        account=account, filters=StatsFilters(period=DateRange(dt.date(2025, 6, 1), dt.date(2025, 6, 30))), by="source"
    )
    (series,) = [s for s in trend.series if s.source.id == ads.pk]
    assert trend.months == [dt.date(2025, 6, 1)]
    assert series.contacts == [3]
    assert series.won_values == [Decimal("10.00")]
    assert series.won[0].count == 2


def test_an_archived_source_with_figures_in_the_period_has_its_series(tenant):
    """The rows the catalogue keeps: an archived source is shown when the period's tallies hold its figures (as in
    the other tables), not otherwise."""
    account = tenant.account
    account.sources_enabled = True
    account.save()
    old = SourceFactory(account=account, name="Old", archived=True)
    SourceFactory(account=account, name="Gone", archived=True)
    CompanyFactory(account=account, source=old, created_at=dt.datetime(2025, 6, 10, 12, tzinfo=dt.UTC))
    trend = source_trend(
        account=account, filters=StatsFilters(period=DateRange(dt.date(2025, 6, 1), dt.date(2025, 6, 30))), by="source"
    )
    assert [(s.source.name, s.contacts) for s in trend.series if s.source.id is not None] == [("Old", [1])]


def test_the_csv_and_xlsx_carry_the_trend_as_the_api_gives_it(tenant, trend_sample):
    import csv  # noqa: PLC0415
    import io  # noqa: PLC0415

    from python_calamine import CalamineWorkbook  # noqa: PLC0415 — only this test reads an XLSX

    client = tenant.client_for("viewer")
    response = client.get(tenant.url(f"stats/sources/export.csv{QUERY}&trend_by=channel"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    start = rows.index(["Trend: won value per month (PLN)"])
    assert rows[start + 1] == ["Month", "Paid", "Total", "Without an exchange rate"]
    assert rows[start + 2] == ["2025-05", "0.00", "0.00", ""]
    assert rows[start + 3] == ["2025-06", "150.00", "150.00", "USD 7.00 (1)"]
    contacts = rows.index(["Trend: new contacts per month"])
    assert rows[contacts + 2] == ["2025-05", "2", "2"]
    xlsx = client.get(tenant.url(f"stats/sources/export.xlsx{QUERY}"))
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(xlsx.streaming_content))).get_sheet_by_index(0)
    lines = sheet.to_python()
    at = next(i for i, line in enumerate(lines) if line[:1] == ["Trend: new contacts per month"])
    assert lines[at + 1][:4] == ["Month", "Website", "Ads", "Total"]
    assert lines[at + 2][:4] == ["2025-05", 1, 1, 2]


@given(
    cents=st.integers(-(10**15), 10**15),
    rate=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("100000"), places=6, allow_nan=False),
)
def test_whole_cents_convert_as_the_decimals_do(cents, rate):
    """The trend converts in whole cents (`convert_cents`); the rest of the page in decimals (`MoneyGroup.add`): the
    same value to the cent, halves rounded away from zero, for any amount and rate."""
    group = MoneyGroup()
    group.add(currency="EUR", count=1, total=Decimal(cents).scaleb(-2), rates={"EUR": rate})
    assert convert_cents(cents, cent_ratios({"EUR": rate})["EUR"]) == group.value.scaleb(2)


def test_a_half_cent_rounds_away_from_zero():
    assert convert_cents(1, (1, 2)) == 1
    assert convert_cents(-1, (1, 2)) == -1
    assert convert_cents(3, (1, 2)) == 2


@settings(max_examples=300, deadline=None)
@given(
    cents_of=st.lists(st.integers(min_value=-(10**14), max_value=10**14), min_size=1, max_size=12),
    rate=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**6), places=6, allow_nan=False),
)
def test_trend_loop_converts_as_convert_cents(cents_of: list[int], rate: Decimal) -> None:
    """The trend's loop writes `convert_cents` out (it runs per tally): the same cents for any sign, half and rate,
    months outside the trend (no place) left out."""
    ratio = rate.as_integer_ratio()
    places: list[int | None] = [i if i % 3 else None for i in range(len(cents_of))]
    one = trend_module._Sums(len(cents_of))
    trend_module._add_converted(one, ratio, places, [1] * len(cents_of), cents_of)
    expected = [
        convert_cents(cents, ratio) if at is not None else 0 for at, cents in zip(places, cents_of, strict=True)
    ]
    assert one.cents == expected
    assert one.count == one.converted_count == [0 if at is None else 1 for at in places]
