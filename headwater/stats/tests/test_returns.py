"""Spend and return on the Statistics page (stats/returns.py): the figures against a plain-Python reference
(fractions, half up), the empty cases, and the page, the CSV and the API agreeing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.spend.services import spend_create
from headwater.stats.models import ExchangeRate
from headwater.testing.api import ApiClient
from headwater.testing.factories import (
    AccountFactory,
    CompanyFactory,
    DealFactory,
    MembershipFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MAY_FIRST, MAY_LAST = dt.date(2025, 5, 1), dt.date(2025, 5, 31)
BEFORE_MAY = (dt.date(2025, 3, 31), dt.date(2025, 4, 30))  # what a custom May is compared with: the 31 days before


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def half_up(value: Fraction, places: int) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero, in integers only."""
    scale = 10**places
    scaled = abs(value) * scale
    units = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(units if value >= 0 else -units).scaleb(-places)


def days_inside(start: dt.date, end: dt.date, period: tuple[dt.date, dt.date] = (MAY_FIRST, MAY_LAST)) -> int:
    low, high = max(start, period[0]), min(end, period[1])
    return max((high - low).days + 1, 0)


def reference(
    entries, won_cents, contacts, rate: Fraction, period: tuple[dt.date, dt.date] = (MAY_FIRST, MAY_LAST)
) -> dict[str, Any]:
    """The row of the one source, from first principles: each entry's part of May (or `period`) is amount * days
    inside / days, summed per currency and rounded to the cent, then converted and rounded to the cent."""
    rates = {"PLN": Fraction(1), "EUR": rate}
    parts: dict[str, Fraction] = {}
    for start, end, cents, currency in entries:
        inside = days_inside(start, end, period)
        if inside:
            parts[currency] = parts.get(currency, Fraction(0)) + Fraction(cents, 100) * inside / (
                (end - start).days + 1
            )
    spend = Fraction(0)
    apart = {}
    for currency, exact in parts.items():
        rounded = Fraction(half_up(exact, 2))
        if currency in rates:
            spend += Fraction(half_up(rounded * rates[currency], 2))
        else:
            apart[currency] = half_up(exact, 2)
    won = Fraction(sum(won_cents), 100)
    deals = len(won_cents)
    row: dict[str, Any] = {
        "spend": half_up(spend, 2),
        "won_value": half_up(won, 2),
        "apart": apart,
        "cost_per_contact": None,
        "cost_per_deal": None,
        "cost_per_won": None,
        "roi": None,
        "roas": None,
    }
    if spend > 0:
        row["cost_per_contact"] = half_up(spend / contacts, 2) if contacts else None
        row["cost_per_deal"] = half_up(spend / deals, 2) if deals else None
        row["cost_per_won"] = half_up(spend / deals, 2) if deals else None
        row["roi"] = half_up((won - spend) / spend * 100, 1)
        row["roas"] = half_up(won / spend, 2)
    return row


def _optional(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


entry = st.tuples(
    st.dates(min_value=dt.date(2025, 3, 1), max_value=dt.date(2025, 7, 31)),
    st.integers(min_value=0, max_value=120),  # days after the start
    st.integers(min_value=1, max_value=10**9),  # cents
    st.sampled_from(["PLN", "EUR", "USD"]),  # USD has no rate
).map(lambda t: (t[0], t[0] + dt.timedelta(days=t[1]), t[2], t[3]))


# Spend from March to June: in May and in the 31 days before, so that the ROI change has two inexact ratios.
lasting_entry = st.tuples(st.integers(min_value=1, max_value=10**9), st.sampled_from(["PLN", "EUR"])).map(
    lambda t: (dt.date(2025, 3, 1), dt.date(2025, 6, 30), t[0], t[1])
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(entry, max_size=4),
    won_cents=st.lists(st.integers(min_value=0, max_value=10**8), max_size=3),
    won_before=st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=2),
    lasting=st.lists(lasting_entry, max_size=2),
    contacts=st.integers(min_value=0, max_value=3),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99"), places=4),
)
def test_the_endpoints_figures_equal_the_reference(entries, won_cents, won_before, lasting, contacts, rate):  # noqa: PLR0917 — hypothesis
    entries = [*entries, *lasting]
    account = AccountFactory(sources_enabled=True, currency="PLN")
    ExchangeRate.objects.create(account=account, base_currency="PLN", currency="EUR", rate=rate)
    source = SourceFactory(account=account, name="Only", position=1)
    for start, end, cents, currency in entries:
        spend_create(
            account=account,
            user=None,
            source=source,
            start_date=start,
            end_date=end,
            amount=Decimal(cents).scaleb(-2),
            currency=currency,
        )
    for cents, closed in [
        *((c, dt.date(2025, 5, 20)) for c in won_cents),
        *((c, dt.date(2025, 4, 20)) for c in won_before),
    ]:
        DealFactory(
            account=account,
            source=source,
            status="won",
            value=Decimal(cents).scaleb(-2),
            currency="PLN",
            created_at=dt.datetime(2025, 4, 3, 12, tzinfo=dt.UTC),
            closed_at=closed,
        )
    for _ in range(contacts):
        CompanyFactory(account=account, source=source, created_at=dt.datetime(2025, 5, 4, 12, tzinfo=dt.UTC))
    viewer = UserFactory(email=f"viewer-{account.pk}@returns.test")
    MembershipFactory(account=account, user=viewer, role="viewer")
    response = ApiClient(account=account, user=viewer).get(
        "/stats/sources", {"period": "custom", "start": "2025-05-01", "end": "2025-05-31", "compare": "true"}
    )
    assert response.status_code == 200, response.content
    row = next(r for r in response.json()["returns"]["rows"] if r["source"]["id"] == source.pk)
    expected = reference(entries, won_cents, contacts, Fraction(rate))
    assert row["spend"] == str(expected["spend"])
    assert row["won_value"] == str(expected["won_value"])
    assert {u["currency"]: u["value"] for u in row["spend_unconverted"]} == {
        c: str(v) for c, v in expected["apart"].items()
    }
    for name in ("cost_per_contact", "cost_per_deal", "cost_per_won", "roi", "roas"):
        assert row[name] == _optional(expected[name]), name
    # Against the 31 days before: the spend's change (percent of the previous spend) and the ROI's in percentage
    # points from the exact ratios, none unless both periods have spend.
    before = reference(entries, won_before, 0, Fraction(rate), BEFORE_MAY)
    spend, spend_before = Fraction(expected["spend"]), Fraction(before["spend"])
    delta = expected["spend"] - before["spend"]
    wanted: dict[str, Any] = {
        "spend": {
            "delta": str(delta),
            "percent": _optional(half_up(Fraction(delta) / spend_before * 100, 1) if spend_before else None),
        }
    }
    if spend > 0 and spend_before > 0:
        won, won_before_value = Fraction(expected["won_value"]), Fraction(before["won_value"])
        points = ((won - spend) / spend - (won_before_value - spend_before) / spend_before) * 100
        wanted["roi"] = {"delta": str(half_up(points, 1)), "percent": None}
    assert row["changes"] == wanted


@pytest.fixture
def sample(tenant):
    account = tenant.account
    account.sources_enabled = True
    account.save()
    ExchangeRate.objects.create(account=account, base_currency="PLN", currency="EUR", rate=Decimal("4.25"))
    ads = SourceFactory(account=account, name="Ads", position=1)
    fairs = SourceFactory(account=account, name="Fairs", position=2)
    quiet = SourceFactory(account=account, name="Quiet", position=3)
    # Ads: 310 PLN and 100 EUR for May.
    spend_create(account=account, user=None, source=ads, month=dt.date(2025, 5, 1), amount="310")
    spend_create(account=account, user=None, source=ads, month=dt.date(2025, 5, 1), amount="100", currency="EUR")
    # Fairs: 20 days from 22 April to 11 May, 200 PLN: 11 of them (110 PLN) in May; 50 USD without a rate.
    spend_create(
        account=account,
        user=None,
        source=fairs,
        start_date=dt.date(2025, 4, 22),
        end_date=dt.date(2025, 5, 11),
        amount="200",
    )
    spend_create(account=account, user=None, source=fairs, month=dt.date(2025, 5, 1), amount="50", currency="USD")
    # April, for the comparison: Ads 100 PLN.
    spend_create(account=account, user=None, source=ads, month=dt.date(2025, 4, 1), amount="100")
    for value, source in (("1000.00", ads), ("500.00", ads)):
        DealFactory(
            account=account,
            source=source,
            status="won",
            value=Decimal(value),
            created_at=dt.datetime(2025, 5, 2, 12, tzinfo=dt.UTC),
            closed_at=dt.date(2025, 5, 10),
        )
    DealFactory(
        account=account,
        source=ads,
        status="won",
        value=Decimal("300.00"),
        created_at=dt.datetime(2025, 4, 2, 12, tzinfo=dt.UTC),
        closed_at=dt.date(2025, 4, 10),
    )
    CompanyFactory(account=account, source=fairs, created_at=dt.datetime(2025, 5, 4, 12, tzinfo=dt.UTC))
    return SimpleNamespace(ads=ads, fairs=fairs, quiet=quiet)


MAY = {"period": "custom", "start": "2025-05-01", "end": "2025-05-31", "compare": "on"}


def test_the_page_the_csv_and_the_api_agree(tenant, sample):
    client = tenant.client_for("viewer")
    page = client.get(tenant.url("stats/sources/"), MAY)
    assert page.status_code == 200
    returns = page.context["stats"].returns
    rows = {r.source.name: r for r in returns.rows}
    ads, fairs, quiet = rows["Ads"], rows["Fairs"], rows["Quiet"]
    # Ads: 310 + 100 EUR * 4.25 = 735.00 spent, 1,500.00 won from 2 deals.
    assert (ads.spend, ads.won_value, ads.cost_per_won, ads.roi, ads.roas) == (
        Decimal("735.00"),
        Decimal("1500.00"),
        Decimal("367.50"),
        Decimal("104.1"),
        Decimal("2.04"),
    )
    assert ads.cost_per_contact is None  # no new contact
    # April: 100 spent, 300 won (ROI 200 %); May's ROI is 104.08...: -95.9 points, from the exact ratios.
    assert ads.changes["spend"].delta == Decimal("635.00")
    assert ads.changes["roi"].delta == Decimal("-95.9")
    # Fairs: 110.00 of the range; the USD apart; no won deal: ROI -100 %, ROAS 0, no CAC.
    assert (fairs.spend, fairs.cost_per_contact, fairs.cost_per_won, fairs.roi, fairs.roas) == (
        Decimal("110.00"),
        Decimal("110.00"),
        None,
        Decimal("-100.0"),
        Decimal("0.00"),
    )
    assert [(u.currency, u.value) for u in fairs.spend_unconverted] == [("USD", Decimal("50.00"))]
    # No spend: every ratio empty.
    assert (quiet.spend, quiet.roi, quiet.roas, quiet.cost_per_deal) == (Decimal("0.00"), None, None, None)
    assert returns.total.spend == Decimal("845.00")
    assert [(u.currency, u.value) for u in page.context["stats"].spend_missing_rates] == [("USD", Decimal("50.00"))]
    html = page.content.decode()
    assert "Spend and return" in html
    assert "735.00" in html
    assert "2.04×" in html  # noqa: RUF001 — the ratio sign the page writes

    body = ApiClient(account=tenant.account, user=tenant.viewer).get(
        "/stats/sources", {"period": "custom", "start": "2025-05-01", "end": "2025-05-31", "compare": "true"}
    )
    api_rows = {r["source"]["name"]: r for r in body.json()["returns"]["rows"]}
    assert (api_rows["Ads"]["spend"], api_rows["Ads"]["roi"], api_rows["Ads"]["roas"]) == ("735.00", "104.1", "2.04")
    assert api_rows["Ads"]["changes"]["roi"] == {"delta": "-95.9", "percent": None}
    assert api_rows["Quiet"]["roi"] is None
    assert body.json()["returns"]["total"]["spend"] == "845.00"

    exported = client.get(tenant.url("stats/sources/export.csv"), MAY).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(exported)))
    start = lines.index(["Spend and return"])
    columns = lines[start + 1]
    ads_line = next(line for line in lines[start:] if line and line[0] == "Ads")
    assert ads_line[columns.index("Spend (PLN)")] == "735.00"
    assert ads_line[columns.index("ROI (%)")] == "104.1"
    assert ads_line[columns.index("ROAS")] == "2.04"
    assert ads_line[columns.index("Cost per won deal (CAC)")] == "367.50"


def test_an_owner_filter_leaves_spend_out_and_says_why(tenant, sample):
    page = tenant.client_for("viewer").get(tenant.url("stats/sources/"), MAY | {"owner": str(tenant.member.pk)})
    assert page.status_code == 200
    assert page.context["stats"].returns is None
    assert "Spend has no owner" in page.content.decode()


def test_an_archived_source_with_spend_only_keeps_its_row(tenant, sample):
    sample.fairs.archived = True
    sample.fairs.save()
    page = tenant.client_for("viewer").get(tenant.url("stats/sources/"), MAY)
    assert "Fairs" in [r.source.name for r in page.context["stats"].returns.rows]


def test_a_figure_that_rounds_to_zero_is_zero_never_minus_zero(tenant):
    """1,999.97 won of 1,999.99 spent is an ROI of -0.001 %: 0.0 %, not "-0.0" (Decimal keeps the sign of a negative
    figure rounded to zero); the same for a change (ROI 0.0 % after 0.0005 %: 0.0 points) and a change's percent."""
    account = tenant.account
    account.sources_enabled = True
    account.save()
    ads = SourceFactory(account=account, name="Ads", position=1)
    for month, spend, won in ((dt.date(2025, 4, 1), "2000.00", "2000.01"), (dt.date(2025, 5, 1), "1999.99", "1999.97")):
        spend_create(account=account, user=None, source=ads, month=month, amount=spend)
        DealFactory(
            account=account,
            source=ads,
            status="won",
            value=Decimal(won),
            created_at=dt.datetime(2025, month.month, 2, 12, tzinfo=dt.UTC),
            closed_at=month.replace(day=10),
        )
    body = ApiClient(account=account, user=tenant.viewer).get(
        "/stats/sources", {"period": "custom", "start": "2025-05-01", "end": "2025-05-31", "compare": "true"}
    )
    assert body.status_code == 200, body.content
    row = next(r for r in body.json()["returns"]["rows"] if r["source"]["name"] == "Ads")
    assert row["roi"] == "0.0"
    assert row["changes"] == {"spend": {"delta": "-0.01", "percent": "0.0"}, "roi": {"delta": "0.0", "percent": None}}
    # The CSV writes the figures as they are (the page's number format already shows "0.0").
    exported = tenant.client_for("viewer").get(
        tenant.url("stats/sources/export.csv"),
        {"period": "custom", "start": "2025-05-01", "end": "2025-05-31", "compare": "on"},
    )
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    start = lines.index(["Spend and return"])
    columns = lines[start + 1]
    ads_line = next(line for line in lines[start + 2 :] if line[0] == "Ads")
    assert [ads_line[columns.index(name)] for name in ("ROI (%)", "ROI: change", "Spend: change (%)")] == ["0.0"] * 3
