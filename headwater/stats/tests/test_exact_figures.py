"""Exact figures as the user meets them: highlights' ties, rounding, changes and their colours, empty sections.

Each test reads the Statistics page or the API endpoint; the rounding tests compare with plain-Python integer
arithmetic (half up, halves away from zero), which shares no code with the selector's Decimal contexts.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.stats.money import average as _average
from headwater.stats.money import change as _change
from headwater.stats.money import percent as _percent
from headwater.stats.money import quotient as _quotient
from headwater.testing.api import ApiClient
from headwater.testing.factories import AccountFactory, DealFactory, MembershipFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

MAY = "?period=custom&start=2025-05-01&end=2025-05-31"
MAY_COMPARED = MAY + "&compare=on"  # with 1-30 April


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def account(tenant):
    tenant.account.sources_enabled = True
    tenant.account.save()
    return tenant.account


def deal(account, source, status: str, value: str, closed: dt.date | None = None, *, created: dt.date | None = None):
    created_on = created or closed or dt.date(2025, 5, 10)
    DealFactory(
        account=account,
        source=source,
        status=status,
        value=Decimal(value),
        created_at=dt.datetime.combine(created_on, dt.time(12), tzinfo=dt.UTC),
        closed_at=closed,
    )


def stats_page(tenant, query: str) -> tuple[Any, str]:
    response = tenant.client_for("viewer").get(tenant.url(f"stats/sources/{query}"))
    assert response.status_code == 200
    return response.context["stats"], response.content.decode()


def endpoint(tenant, **params: str) -> Any:
    response = ApiClient(account=tenant.account, user=tenant.viewer).get("/stats/sources", params)
    assert response.status_code == 200, response.content
    return response.json()


# --- Highlights -----------------------------------------------------------------------------------------


def test_highest_won_value_tie_goes_to_more_closed_deals_then_the_admins_order(tenant, account):
    first = SourceFactory(account=account, name="Ads", position=1)
    second = SourceFactory(account=account, name="Partners", position=2)
    third = SourceFactory(account=account, name="Fairs", position=3)
    may = dt.date(2025, 5, 10)
    # 700.00 won by each: Ads from one closed deal, Partners from two (one won, one lost), Fairs from two won.
    deal(account, first, "won", "700.00", may)
    deal(account, second, "won", "700.00", may)
    deal(account, second, "lost", "50.00", may)
    deal(account, third, "won", "300.00", may)
    deal(account, third, "won", "400.00", may)

    _, html = stats_page(tenant, MAY)
    # Partners and Fairs have two closed deals each: Partners comes first in the admin's order.
    assert "Highest won value: <strong><bdi>Partners</bdi></strong>, 700.00 PLN." in html
    assert endpoint(tenant, period="custom", start="2025-05-01", end="2025-05-31")["top_won_value"]["id"] == second.pk

    # With the same number of closed deals as well, the admin's order decides.
    deal(account, third, "lost", "10.00", may)
    deal(account, first, "lost", "10.00", may)
    deal(account, first, "lost", "10.00", may)
    _, html = stats_page(tenant, MAY)
    assert "Highest won value: <strong><bdi>Ads</bdi></strong>, 700.00 PLN." in html


def test_best_win_rate_tie_goes_to_more_closed_deals(tenant, account):
    small = SourceFactory(account=account, name="Small", position=1)
    large = SourceFactory(account=account, name="Large", position=2)
    may = dt.date(2025, 5, 10)
    deal(account, small, "won", "10.00", may)
    deal(account, small, "lost", "10.00", may)
    for status in ("won", "won", "lost", "lost"):
        deal(account, large, status, "10.00", may)
    account.stats_min_closed = 1
    account.save(update_fields=["stats_min_closed"])
    _, html = stats_page(tenant, MAY)
    assert "Best win rate: <strong><bdi>Large</bdi></strong>, 50.0%" in html
    assert "Among 2 sources with at least 1 closed deals." in html


def test_best_win_rate_only_among_sources_with_the_minimum_of_closed_deals(tenant, account):
    lucky = SourceFactory(account=account, name="Lucky", position=1)
    steady = SourceFactory(account=account, name="Steady", position=2)
    may = dt.date(2025, 5, 10)
    deal(account, lucky, "won", "10.00", may)
    for status in ["won"] * 6 + ["lost"] * 4:
        deal(account, steady, status, "10.00", may)
    # The default minimum is 10 closed deals: Lucky's one win (100 %) is not named, Steady's 60 % is.
    stats, html = stats_page(tenant, MAY)
    assert stats.best_win_rate is not None
    assert stats.best_win_rate.source.name == "Steady"
    assert (stats.win_rate_minimum, stats.win_rate_qualified) == (10, 1)
    assert "Among 1 source with at least 10 closed deals." in html
    account.stats_min_closed = 11
    account.save(update_fields=["stats_min_closed"])
    stats, html = stats_page(tenant, MAY)
    assert stats.best_win_rate is None
    assert "No best win rate yet: no source has 11 closed deals in this period." in html


# --- Changes and their rounding ------------------------------------------------------------------------------


def test_win_rate_change_is_taken_between_the_exact_rates(tenant, account):
    source = SourceFactory(account=account, name="Ads", position=1)
    # April: 2 of 3 won (66.666...%, shown 66.7); May: 1 of 3 (33.333...%, shown 33.3).
    for status in ("won", "won", "lost"):
        deal(account, source, status, "100.00", dt.date(2025, 4, 10))
    for status in ("won", "lost", "lost"):
        deal(account, source, status, "100.00", dt.date(2025, 5, 10))

    stats, html = stats_page(tenant, MAY_COMPARED)
    row = stats.closed_deals.rows[0]
    assert (row.win_rate, row.changes["win_rate"].delta) == (Decimal("33.3"), Decimal("-33.3"))
    # Between the rounded rates it would be 33.3 - 66.7 = -33.4.
    assert "33.3%" in html
    assert "-33.3 pp" in html
    assert "-33.4" not in html
    body = endpoint(tenant, period="custom", start="2025-05-01", end="2025-05-31", compare="true")
    assert body["closed_deals"]["rows"][0]["changes"]["win_rate"] == {"delta": "-33.3", "percent": None}


def reference_tenths(numerator: int, denominator: int) -> Decimal:
    """numerator / denominator * 100 with one decimal, half away from zero, in integers only."""
    scaled, whole = abs(numerator) * 1000, abs(denominator)
    tenths = (2 * scaled + whole) // (2 * whole)
    return Decimal(tenths if (numerator < 0) == (denominator < 0) else -tenths).scaleb(-1)


counts = st.integers(min_value=0, max_value=7)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(won=counts, lost=counts, won_before=counts, lost_before=counts)
def test_win_rates_and_their_change_through_the_endpoint(won, lost, won_before, lost_before):
    """Random won and lost counts in two periods: the API's rates and change equal the integer reference."""
    account = AccountFactory(sources_enabled=True)
    source = SourceFactory(account=account, name="Only", position=1)
    for n, status, day in (
        (won, "won", dt.date(2025, 5, 10)),
        (lost, "lost", dt.date(2025, 5, 11)),
        (won_before, "won", dt.date(2025, 4, 10)),
        (lost_before, "lost", dt.date(2025, 4, 11)),
    ):
        for _ in range(n):
            deal(account, source, status, "1.00", day)
    viewer = UserFactory(email=f"viewer-{account.pk}@rates.test")
    MembershipFactory(account=account, user=viewer, role="viewer")
    body = endpoint(
        SimpleNamespace(account=account, viewer=viewer),
        period="custom",
        start="2025-05-01",
        end="2025-05-31",
        compare="true",
    )
    row = body["closed_deals"]["rows"][0]
    closed, closed_before = won + lost, won_before + lost_before
    assert row["win_rate"] == (str(reference_tenths(won, closed)) if closed else None)
    if closed and closed_before:
        exact = reference_tenths(won * closed_before - won_before * closed, closed * closed_before)
        assert row["changes"]["win_rate"]["delta"] == str(exact)
    else:
        assert "win_rate" not in row["changes"]


integers = st.integers(min_value=-(10**15), max_value=10**15)
positive = st.integers(min_value=1, max_value=10**15)


@given(part=integers, whole=positive)
def test_percentages_round_half_away_from_zero(part, whole):
    assert _percent(part, whole) == reference_tenths(part, whole)
    assert _percent(part, 0) is None
    # Two counts take a shortcut of their own: the same text (places, sign, no "-0.0") as the general quotient.
    for signed in (whole, -whole):
        assert str(_percent(part, signed)) == str(_quotient(part, signed, Decimal("0.1"), 100))


@given(total_cents=integers, count=st.integers(min_value=1, max_value=10**6))
def test_averages_round_half_up_to_the_cent_and_the_tenth(total_cents, count):
    total = Decimal(total_cents).scaleb(-2)
    magnitude = (2 * abs(total_cents) + count) // (2 * count)
    expected = Decimal(magnitude if total_cents >= 0 else -magnitude).scaleb(-2)
    assert _average(total, count, Decimal("0.01")) == expected
    # Days: integers, to a tenth.
    assert _average(total_cents, count, Decimal("0.1")) == reference_tenths(total_cents, count * 100)
    assert _average(total, 0, Decimal("0.01")) is None


def test_halves_go_away_from_zero():
    assert _quotient(1, 8, Decimal("0.01")) == Decimal("0.13")  # 0.125
    assert _quotient(-1, 8, Decimal("0.01")) == Decimal("-0.13")
    assert _percent(1, 2000) == Decimal("0.1")  # 0.05 %
    assert _percent(-1, 2000) == Decimal("-0.1")


@given(current=integers, previous=integers)
def test_changes_are_exact_and_their_percent_rounds_half_away_from_zero(current, previous):
    change = _change(current, previous)
    assert change.delta == current - previous
    assert change.percent == (reference_tenths(current - previous, previous) if previous else None)


@given(cents_now=integers, cents_before=integers)
def test_money_changes_keep_every_cent(cents_now, cents_before):
    now, before = Decimal(cents_now).scaleb(-2), Decimal(cents_before).scaleb(-2)
    change = _change(now, before)
    assert change.delta == Decimal(cents_now - cents_before).scaleb(-2)
    assert change.percent == (reference_tenths(cents_now - cents_before, cents_before) if cents_before else None)


# --- Colours -----------------------------------------------------------------------------------------------


def change_classes(html: str, table_id: str, column: int) -> list[str]:
    """The tone class of the change in `column` (1 = the first figure) of every body row of a table."""
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    tones = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cell = re.findall(r'<td class="num">(.*?)</td>', row, flags=re.S)[column - 1]
        found = re.search(r'class="stats-change stats-change--(\w+) stats-change--(\w+)"', cell)
        tones.append(f"{found.group(1)}/{found.group(2)}" if found else "")
    return tones


def test_change_colours_follow_good_and_bad_news(tenant, account):
    worse = SourceFactory(account=account, name="Worse", position=1)
    better = SourceFactory(account=account, name="Better", position=2)
    april, may = dt.date(2025, 4, 10), dt.date(2025, 5, 10)
    # Worse: lost more deals and more value in May, won less.
    deal(account, worse, "won", "500.00", april)
    deal(account, worse, "won", "500.00", april)
    deal(account, worse, "lost", "100.00", april)
    deal(account, worse, "won", "200.00", may)
    deal(account, worse, "lost", "300.00", may)
    deal(account, worse, "lost", "300.00", may)
    # Better: lost fewer deals and less value, won more.
    deal(account, better, "lost", "900.00", april)
    deal(account, better, "lost", "900.00", april)
    deal(account, better, "won", "100.00", april)
    deal(account, better, "lost", "50.00", may)
    deal(account, better, "won", "800.00", may)
    deal(account, better, "won", "100.00", may)

    _, html = stats_page(tenant, MAY_COMPARED)
    # Columns: won, won value, lost, lost value, win rate. Rows: Worse, Better, No source.
    assert change_classes(html, "stats-closed", 1) == ["down/bad", "up/good", "same/neutral"]
    assert change_classes(html, "stats-closed", 2) == ["down/bad", "up/good", "same/neutral"]
    assert change_classes(html, "stats-closed", 3) == ["up/bad", "down/good", "same/neutral"]
    assert change_classes(html, "stats-closed", 4) == ["up/bad", "down/good", "same/neutral"]
    assert change_classes(html, "stats-closed", 5) == ["down/bad", "up/good", ""]
    # Contacts and open deals: more is good news.
    deal(account, worse, "open", "10.00", created=may)
    _, html = stats_page(tenant, MAY_COMPARED)
    assert change_classes(html, "stats-open", 1) == ["up/good", "same/neutral", "same/neutral"]


def test_the_stylesheet_colours_tones_not_directions():
    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text()
    assert ".stats-change--good { color: var(--ok); }" in css
    assert ".stats-change--bad { color: var(--bad); }" in css
    assert ".stats-change--up" not in css
    assert ".stats-change--down" not in css


# --- Empty periods and sections ----------------------------------------------------------------------------


def test_a_period_without_closed_deals_and_sections_without_figures(tenant, account):
    source = SourceFactory(account=account, name="Ads", position=1)
    # Only an open deal worth 0.00 and nothing else: no closed deals, no contacts, open value total 0.
    deal(account, source, "open", "0.00", created=dt.date(2025, 5, 10))
    stats, html = stats_page(tenant, MAY_COMPARED)
    closed = stats.closed_deals.total
    assert (closed.win_rate, closed.average_won, closed.average_days, closed.median_days) == (None, None, None, None)
    assert closed.still_open == 1
    open_total = stats.open_deals.total
    # A count share exists (1 of 1 deal); a value share of a total of 0 does not; the average value is 0.00.
    assert (open_total.count_share, open_total.value_share, open_total.average) == (Decimal("100.0"), None, Decimal(0))
    assert (stats.contacts.total.companies_share, stats.contacts.total.persons_share) == (None, None)
    assert stats.top_won_value is None
    assert stats.best_win_rate is None
    assert "No source has won deals with a known value in this period." in html
    assert "No best win rate yet: no source has 10 closed deals in this period." in html
    closed_table = html.split('id="stats-closed"', 1)[1].split("</table>", 1)[0]
    # Win rate, average won value and average days are "—" in every row and the total; so is the median, under
    # which Ads and the total say that their one deal is still open.
    assert closed_table.count('<td class="num">—</td>') == 3 * 3 + 1
    assert closed_table.count('<td class="num">—<span class="stats-still-open">1 still open</span></td>') == 2
    # Changes from a previous value of 0 have no percent, and the count's change is shown.
    open_row = stats.open_deals.rows[0]
    assert (open_row.changes["count"].delta, open_row.changes["count"].percent) == (1, None)
