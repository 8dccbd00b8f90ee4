"""Every period preset and what "compare" compares it with (docs/statistics.md, "Periods and comparison").

Calendar presets compare with the same calendar days a month, quarter or year earlier: the same day of the month,
or the month's last day when that month is shorter or when the period ends on the last day of its month. Rolling
presets and custom ranges compare with the same number of days immediately before.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache

from headwater.stats import forms as stats_forms
from headwater.stats.filters import DateRange, Period, StatsFilters, months_earlier, preset_range
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, SourceFactory

D = dt.date


def span(start: D, end: D) -> DateRange:
    return DateRange(start, end)


# (preset, today, the period, the period it is compared with)
CASES = [
    # This month: the same days of the month before.
    ("this_month", D(2025, 6, 15), span(D(2025, 6, 1), D(2025, 6, 15)), span(D(2025, 5, 1), D(2025, 5, 15))),
    ("this_month", D(2025, 1, 10), span(D(2025, 1, 1), D(2025, 1, 10)), span(D(2024, 12, 1), D(2024, 12, 10))),
    # February is shorter: 30 and 31 March compare with the whole of February.
    ("this_month", D(2025, 3, 30), span(D(2025, 3, 1), D(2025, 3, 30)), span(D(2025, 2, 1), D(2025, 2, 28))),
    ("this_month", D(2025, 3, 31), span(D(2025, 3, 1), D(2025, 3, 31)), span(D(2025, 2, 1), D(2025, 2, 28))),
    ("this_month", D(2028, 3, 29), span(D(2028, 3, 1), D(2028, 3, 29)), span(D(2028, 2, 1), D(2028, 2, 29))),
    # A whole month (today is its last day) compares with the whole month before.
    ("this_month", D(2027, 2, 28), span(D(2027, 2, 1), D(2027, 2, 28)), span(D(2027, 1, 1), D(2027, 1, 31))),
    ("this_month", D(2028, 2, 29), span(D(2028, 2, 1), D(2028, 2, 29)), span(D(2028, 1, 1), D(2028, 1, 31))),
    ("this_month", D(2025, 4, 30), span(D(2025, 4, 1), D(2025, 4, 30)), span(D(2025, 3, 1), D(2025, 3, 31))),
    # Last month: the whole month before it, whatever their lengths.
    ("last_month", D(2025, 3, 10), span(D(2025, 2, 1), D(2025, 2, 28)), span(D(2025, 1, 1), D(2025, 1, 31))),
    ("last_month", D(2028, 3, 31), span(D(2028, 2, 1), D(2028, 2, 29)), span(D(2028, 1, 1), D(2028, 1, 31))),
    ("last_month", D(2025, 1, 5), span(D(2024, 12, 1), D(2024, 12, 31)), span(D(2024, 11, 1), D(2024, 11, 30))),
    # This quarter: the same days of the quarter before (the same month of it, the same day).
    ("this_quarter", D(2025, 5, 15), span(D(2025, 4, 1), D(2025, 5, 15)), span(D(2025, 1, 1), D(2025, 2, 15))),
    ("this_quarter", D(2025, 5, 31), span(D(2025, 4, 1), D(2025, 5, 31)), span(D(2025, 1, 1), D(2025, 2, 28))),
    ("this_quarter", D(2025, 1, 20), span(D(2025, 1, 1), D(2025, 1, 20)), span(D(2024, 10, 1), D(2024, 10, 20))),
    # Quarters of different lengths: a whole quarter compares with the whole quarter before (91 with 90 days, 92
    # with 91).
    ("this_quarter", D(2025, 6, 30), span(D(2025, 4, 1), D(2025, 6, 30)), span(D(2025, 1, 1), D(2025, 3, 31))),
    ("this_quarter", D(2025, 9, 30), span(D(2025, 7, 1), D(2025, 9, 30)), span(D(2025, 4, 1), D(2025, 6, 30))),
    ("this_quarter", D(2026, 3, 31), span(D(2026, 1, 1), D(2026, 3, 31)), span(D(2025, 10, 1), D(2025, 12, 31))),
    # Last quarter: the whole quarter before it.
    ("last_quarter", D(2025, 5, 15), span(D(2025, 1, 1), D(2025, 3, 31)), span(D(2024, 10, 1), D(2024, 12, 31))),
    ("last_quarter", D(2025, 10, 1), span(D(2025, 7, 1), D(2025, 9, 30)), span(D(2025, 4, 1), D(2025, 6, 30))),
    # This year: the same days a year earlier (not the 338 days before 1 January: 28 January to 31 December).
    ("this_year", D(2026, 12, 4), span(D(2026, 1, 1), D(2026, 12, 4)), span(D(2025, 1, 1), D(2025, 12, 4))),
    ("this_year", D(2025, 12, 31), span(D(2025, 1, 1), D(2025, 12, 31)), span(D(2024, 1, 1), D(2024, 12, 31))),
    # 29 February: a year earlier has none, so the end of February; and from a 28 February back to a 29th.
    ("this_year", D(2028, 2, 29), span(D(2028, 1, 1), D(2028, 2, 29)), span(D(2027, 1, 1), D(2027, 2, 28))),
    ("this_year", D(2029, 2, 28), span(D(2029, 1, 1), D(2029, 2, 28)), span(D(2028, 1, 1), D(2028, 2, 29))),
    ("this_year", D(2028, 2, 28), span(D(2028, 1, 1), D(2028, 2, 28)), span(D(2027, 1, 1), D(2027, 2, 28))),
    # Last year: the whole year before it (366 days with 365).
    ("last_year", D(2025, 6, 15), span(D(2024, 1, 1), D(2024, 12, 31)), span(D(2023, 1, 1), D(2023, 12, 31))),
    # Rolling presets: the same number of days immediately before.
    ("last_30", D(2025, 3, 1), span(D(2025, 1, 31), D(2025, 3, 1)), span(D(2025, 1, 1), D(2025, 1, 30))),
    ("last_90", D(2028, 3, 1), span(D(2027, 12, 3), D(2028, 3, 1)), span(D(2027, 9, 4), D(2027, 12, 2))),
]


@pytest.mark.parametrize(("preset", "today", "period", "previous"), CASES)
def test_preset_and_its_comparison(preset, today, period, previous):
    assert preset_range(preset, today) == period
    filters = StatsFilters(period=period, compare=True, preset=preset)
    assert filters.previous_period == previous
    assert StatsFilters(period=period, compare=False, preset=preset).previous_period is None


def test_every_preset_is_covered():
    assert {case[0] for case in CASES} == set(Period.values) - {Period.ALL, Period.CUSTOM}


def test_custom_ranges_compare_with_the_same_number_of_days_before():
    # Even when the range is a whole calendar month: a custom range is days, not a month.
    filters = StatsFilters(period=span(D(2025, 3, 1), D(2025, 3, 31)), compare=True, preset=Period.CUSTOM)
    assert filters.previous_period == span(D(2025, 1, 29), D(2025, 2, 28))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 5, 31), 1, D(2025, 4, 30)),
        (D(2025, 4, 30), 1, D(2025, 3, 31)),
        (D(2025, 3, 29), 1, D(2025, 2, 28)),
        (D(2024, 3, 29), 1, D(2024, 2, 29)),
        (D(2024, 2, 29), 12, D(2023, 2, 28)),
        (D(2025, 2, 28), 12, D(2024, 2, 29)),
        (D(2025, 1, 15), 3, D(2024, 10, 15)),
        (D(1, 3, 31), 2, D(1, 1, 31)),
        (D(9999, 12, 31), 1, D(9999, 11, 30)),
    ],
)
def test_months_earlier(day, months, expected):
    assert months_earlier(day, months) == expected


def test_nothing_before_year_one():
    assert StatsFilters(period=span(D(1, 1, 1), D(1, 1, 31)), compare=True, preset="this_month").previous_period is None
    assert preset_range(Period.LAST_YEAR, D(1, 6, 1)) is None
    with pytest.raises(OverflowError):
        months_earlier(D(1, 1, 31), 1)


# --- Through the page and the endpoint ------------------------------------------------------------------


@pytest.fixture
def on_day(monkeypatch):
    """Make "today" in the account's zone a chosen day for the statistics filters."""

    def set_today(day: D) -> None:
        monkeypatch.setattr(stats_forms, "account_today", lambda account: day)

    return set_today


@pytest.mark.django_db
@pytest.mark.parametrize(("preset", "today", "period", "previous"), CASES)
def test_the_page_and_the_endpoint_compare_every_preset_with_its_window(  # noqa: PLR0917 — parametrised
    tenant, on_day, preset, today, period, previous
):
    cache.clear()
    tenant.account.sources_enabled = True
    tenant.account.save()
    source = SourceFactory(account=tenant.account, name="Website")
    # A company on each end of the earlier window and one the day before it (at noon, the same day in Warsaw).
    for day in (previous.start, previous.end, previous.start - dt.timedelta(days=1)):
        created = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        CompanyFactory(account=tenant.account, source=source, created_at=created)
    on_day(today)

    response = tenant.client_for("viewer").get(tenant.url("stats/sources/"), {"period": preset, "compare": "on"})
    assert response.status_code == 200
    stats = response.context["stats"]
    assert (stats.period, stats.previous_period) == (period, previous)
    website = stats.contacts.rows[0]
    assert website.companies - website.changes["companies"].delta == 2  # the previous period counted both ends

    body = api_for(tenant, "viewer").get("/stats/sources", {"period": preset, "compare": "true"}).json()
    assert body["previous_period"] == {"start": previous.start.isoformat(), "end": previous.end.isoformat()}
    assert Decimal(body["contacts"]["rows"][0]["changes"]["companies"]["delta"]) == website.changes["companies"].delta


@pytest.mark.django_db
def test_the_period_select_offers_every_preset_with_its_days(tenant, on_day):
    tenant.account.sources_enabled = True
    tenant.account.save()
    on_day(D(2025, 5, 15))
    html = tenant.client_for("viewer").get(tenant.url("stats/sources/")).content.decode()
    assert '<option value="last_quarter" data-start="2025-01-01" data-end="2025-03-31">Last quarter</option>' in html
    assert '<option value="last_month" data-start="2025-04-01" data-end="2025-04-30">Last month</option>' in html
    assert '<option value="last_year" data-start="2024-01-01" data-end="2024-12-31">Last year</option>' in html
