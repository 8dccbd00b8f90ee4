"""Spend and return per campaign (stats/campaign_stats.py, stats/campaign_tally_sql.py): the figures against a
plain-Python computation over the records and the spend, the triggers following a record's campaign, a source merge
and a delete, the page (EN/PL), the API, the exports, tenancy and the query count."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from headwater.companies.models import Company
from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.deals.services import deal_create, deal_update
from headwater.records.services import record_delete
from headwater.sources.services import source_merge
from headwater.spend.services import spend_create
from headwater.stats.campaign_stats import CAMPAIGN_COUNTS, EVERY_CAMPAIGN, CampaignScope
from headwater.stats.filters import DateRange, StatsFilters
from headwater.stats.models import CampaignTally, ExchangeRate
from headwater.stats.selectors import source_stats
from headwater.stats.services import tallies_rebuild
from headwater.stats.tally_drift import tally_drift
from headwater.testing.api import ApiClient
from headwater.testing.factories import (
    AccountFactory,
    CampaignFactory,
    CompanyFactory,
    DealFactory,
    MembershipFactory,
    PersonFactory,
    SourceFactory,
    UserFactory,
)
from headwater.testing.races import POSTGRES_RACE, race, rounds
from headwater.workspace.services import account_update_settings

pytestmark = pytest.mark.django_db

MAY = {"period": "custom", "start": "2025-05-01", "end": "2025-05-31"}
MAY_RANGE = DateRange(dt.date(2025, 5, 1), dt.date(2025, 5, 31))


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def _at(day: int, month: int = 5, hour: int = 12) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def sample(tenant):
    """Ads with campaigns Spring (spend 300 PLN, 2 won deals 1000 + 500, one company) and Summer (100 EUR spend,
    no records), 200 PLN of Ads spend without a campaign and one won deal (250) without; Fairs without campaigns."""
    account = tenant.account
    account.sources_enabled = True
    account.save()
    ExchangeRate.objects.create(account=account, base_currency="PLN", currency="EUR", rate=Decimal("4.25"))
    ads = SourceFactory(account=account, name="Ads", position=1)
    fairs = SourceFactory(account=account, name="Fairs", position=2)
    spring = CampaignFactory(source=ads, name="Spring")
    summer = CampaignFactory(source=ads, name="Summer")
    spend_create(account=account, user=None, source=ads, campaign=spring, month=dt.date(2025, 5, 1), amount="300")
    spend_create(
        account=account, user=None, source=ads, campaign=summer, month=dt.date(2025, 5, 1), amount="100", currency="EUR"
    )
    spend_create(account=account, user=None, source=ads, month=dt.date(2025, 5, 1), amount="200")
    for value in ("1000.00", "500.00"):
        DealFactory(
            account=account,
            source=ads,
            campaign=spring,
            status="won",
            value=Decimal(value),
            created_at=_at(2),
            closed_at=dt.date(2025, 5, 10),
        )
    DealFactory(
        account=account,
        source=ads,
        status="won",
        value=Decimal("250.00"),
        created_at=_at(3),
        closed_at=dt.date(2025, 5, 12),
    )
    CompanyFactory(account=account, source=ads, campaign=spring, created_at=_at(4))
    CompanyFactory(account=account, source=fairs, created_at=_at(4))
    return SimpleNamespace(account=account, ads=ads, fairs=fairs, spring=spring, summer=summer)


def _rows(stats, source) -> dict[str, Any]:
    return {row.campaign.name if row.campaign.id else "-": row for row in stats.campaigns[source.pk]}


def _part(client, tenant, source, params, language: str | None = None) -> str:
    """A source's campaigns as its drill-down on the page loads them when opened (htmx: stats/part_views.py)."""
    headers = {"HX-Request": "true"}
    if language:
        headers["Accept-Language"] = language
    response = client.get(tenant.url("stats/sources/campaigns/"), {**params, "source": source.pk}, headers=headers)
    assert response.status_code == 200, response.content
    return str(response.content.decode())


def test_campaign_rows_add_up_to_their_source(tenant, sample):
    stats = source_stats(account=sample.account, filters=StatsFilters(period=MAY_RANGE))
    rows = _rows(stats, sample.ads)
    assert list(rows) == ["Spring", "Summer", "-"]
    spring, summer, rest = rows["Spring"], rows["Summer"], rows["-"]
    assert (spring.spend, spring.contacts, spring.deals, spring.won_count, spring.won_value) == (
        Decimal("300.00"),
        1,
        2,
        2,
        Decimal("1500.00"),
    )
    assert (spring.cost_per_contact, spring.cost_per_deal, spring.cost_per_won, spring.roi, spring.roas) == (
        Decimal("300.00"),
        Decimal("150.00"),
        Decimal("150.00"),
        Decimal("400.0"),
        Decimal("5.00"),
    )
    assert (summer.spend, summer.won_count, summer.roi, summer.cost_per_contact) == (
        Decimal("425.00"),
        0,
        Decimal("-100.0"),
        None,
    )
    assert (rest.spend, rest.deals, rest.won_value, rest.contacts) == (Decimal("200.00"), 1, Decimal("250.00"), 0)
    source_row = next(r for r in stats.returns.rows if r.source.id == sample.ads.pk)
    for name in ("spend", "contacts", "deals", "won_count", "won_value"):
        assert sum(getattr(r, name) for r in rows.values()) == getattr(source_row, name), name
    # A source without campaigns has no drill-down.
    assert sample.fairs.pk not in stats.campaigns


def test_an_archived_campaign_shows_only_with_figures(tenant, sample):
    quiet = CampaignFactory(source=sample.ads, name="Quiet", archived=True)
    busy = CampaignFactory(source=sample.ads, name="Busy", archived=True)
    PersonFactory(account=sample.account, source=sample.ads, campaign=busy, created_at=_at(6))
    stats = source_stats(account=sample.account, filters=StatsFilters(period=MAY_RANGE))
    names = [row.campaign.name for row in stats.campaigns[sample.ads.pk] if row.campaign.id]
    assert names == ["Busy", "Spring", "Summer"]
    assert quiet.pk not in {row.campaign.id for row in stats.campaigns[sample.ads.pk]}
    client = tenant.client_for("viewer")
    page = client.get(tenant.url("stats/sources/"), MAY)
    # The page counts the archived campaign with figures, without reading any campaign's figures.
    assert page.context["stats"].campaign_counts == {sample.ads.pk: 3}
    assert "3 campaigns" in page.content.decode()
    part = _part(client, tenant, sample.ads, MAY)
    assert '<bdi>Busy</bdi> <span class="badge badge--archived">' in part
    assert "Quiet" not in part


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_page_drills_down_to_campaigns(tenant, sample, language):
    client = tenant.client_for("viewer")
    client.cookies["django_language"] = language
    page = client.get(tenant.url("stats/sources/"), {**MAY, "lang": language}, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="stats-campaigns-{sample.ads.pk}"' in html
    assert f'href="#stats-campaigns-{sample.ads.pk}-table"' in html
    # The drill-down is closed and loads its table when opened: the page holds the hook, not the table.
    part_url = f"{tenant.url('stats/sources/campaigns/')}?period=custom&amp;start=2025-05-01&amp;end=2025-05-31"
    assert f'hx-get="{part_url}&amp;lang={language}&amp;source={sample.ads.pk}" hx-trigger="toggle once"' in html
    assert f'<a href="{part_url}&amp;lang={language}&amp;source={sample.ads.pk}">' in html  # without a script
    assert f'id="stats-campaigns-{sample.ads.pk}-table" data-failed=' in html
    assert "<bdi>Spring</bdi>" not in html
    assert f'<table class="table stats-table" id="stats-campaigns-{sample.ads.pk}-table">' not in html
    part = _part(client, tenant, sample.ads, {**MAY, "lang": language}, language)
    assert f'<table class="table stats-table" id="stats-campaigns-{sample.ads.pk}-table">' in part
    assert "<bdi>Spring</bdi>" in part
    assert "<bdi>Summer</bdi>" in part
    # Drills to the won deals of the campaign in the period.
    assert f"campaign={sample.spring.pk}" in part
    words = {
        "en": (("Per campaign", "2 campaigns", "Loading the campaigns…"), ("(no campaign)", "All of the source")),
        "pl": (("Według kampanii", "2 kampanie", "Wczytywanie kampanii…"), ("(bez kampanii)", "Całe źródło")),
    }
    on_page, in_part = words[language]
    for word in on_page:
        assert word in html, word
    for word in in_part:
        assert f'<th scope="row">{word}</th>' in part, word
        assert f'<th scope="row">{word}</th>' not in html, word
    # Fairs has no campaigns: no drill-down.
    assert f'id="stats-campaigns-{sample.fairs.pk}"' not in html


def test_the_page_the_api_and_the_exports_agree(tenant, sample):
    client = tenant.client_for("viewer")
    # What the page's drill-down shows when opened: the rows of the one source it computes.
    filters = StatsFilters(period=MAY_RANGE)
    page_rows = _rows(
        source_stats(account=sample.account, filters=filters, campaigns=CampaignScope(source_id=sample.ads.pk)),
        sample.ads,
    )

    body = ApiClient(account=tenant.account, user=tenant.viewer).get("/stats/sources", MAY)
    assert body.status_code == 200, body.content
    api_rows = {r["source"]["name"]: r for r in body.json()["returns"]["rows"]}
    assert api_rows["Fairs"]["campaigns"] == []
    campaigns = {c["campaign"]["name"]: c for c in api_rows["Ads"]["campaigns"]}
    assert list(campaigns) == ["Spring", "Summer", "(no campaign)"]
    assert campaigns["(no campaign)"]["campaign"] == {
        "id": None,
        "kind": "none",
        "name": "(no campaign)",
        "archived": False,
    }
    assert campaigns["Spring"]["campaign"]["id"] == sample.spring.pk

    exported = client.get(tenant.url("stats/sources/export.csv"), MAY).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(exported)))
    start = lines.index(["Spend and return per campaign"])
    columns = lines[start + 1]
    section = lines[start + 2 :]
    section = section[: section.index([])] if [] in section else section  # the tables after it (funnel, trend)
    csv_rows = {line[2]: line for line in section if line[0] == "Ads"}
    assert list(csv_rows) == ["Spring", "Summer", "(no campaign)"]

    for name, row in page_rows.items():
        key = {"-": "(no campaign)"}.get(name, name)
        api, line = campaigns[key], csv_rows[key]
        for figure, column in (
            ("spend", "Spend (PLN)"),
            ("won_value", "Won value (PLN)"),
            ("cost_per_deal", "Cost per deal"),
            ("roi", "ROI (%)"),
            ("roas", "ROAS"),
        ):
            value = getattr(row, figure)
            assert api[figure] == (None if value is None else str(value)), (name, figure)
            assert line[columns.index(column)] == ("" if value is None else str(value)), (name, figure)
        assert api["deals"] == row.deals == int(line[columns.index("Deals")])
        assert api["contacts"] == row.contacts == int(line[columns.index("New contacts")])

    xlsx = client.get(tenant.url("stats/sources/export.xlsx"), MAY)
    assert xlsx.status_code == 200


def test_another_accounts_campaigns_never_show(tenant, other_tenant, sample):
    other = other_tenant.account
    other.sources_enabled = True
    other.save()
    theirs = CampaignFactory(source=SourceFactory(account=other, name="Theirs"), name="Secret plan")
    DealFactory(
        account=other,
        source=theirs.source,
        campaign=theirs,
        status="won",
        value=Decimal(9),
        created_at=_at(2),
        closed_at=dt.date(2025, 5, 3),
    )
    spend_create(
        account=other, user=None, source=theirs.source, campaign=theirs, month=dt.date(2025, 5, 1), amount="999"
    )
    client = tenant.client_for("viewer")
    page = client.get(tenant.url("stats/sources/"), MAY)
    assert "Secret plan" not in page.content.decode()
    assert set(page.context["stats"].campaign_counts) == {sample.ads.pk}
    assert "Secret plan" not in _part(client, tenant, sample.ads, MAY)
    # Their source's drill-down, asked for from this account: as if it did not exist.
    hooked = client.get(
        tenant.url("stats/sources/campaigns/"), {**MAY, "source": theirs.source.pk}, HTTP_HX_REQUEST="true"
    )
    assert hooked.status_code == 404
    body = ApiClient(account=tenant.account, user=tenant.viewer).get("/stats/sources", MAY).content.decode()
    assert "Secret plan" not in body
    # Their own view shows it.
    mine = ApiClient(account=other, user=other_tenant.viewer).get("/stats/sources", MAY).json()
    names = [c["campaign"]["name"] for r in mine["returns"]["rows"] for c in r["campaigns"]]
    assert "Secret plan" in names


# --- Compared with the previous period --------------------------------------------------------------------

MAY_COMPARED = {**MAY, "compare": "on"}  # a custom period: compared with the 31 days before (31 March - 30 April)


@pytest.fixture
def april(sample):
    """The previous period of MAY: Spring spent 100 PLN and won 200, Ads without a campaign spent 50 and won 100;
    Summer spent nothing. So Spring's ROI went from 100 % to 400 %, "(no campaign)"'s from 100 % to 25 %."""
    account, ads = sample.account, sample.ads
    spend_create(
        account=account, user=None, source=ads, campaign=sample.spring, month=dt.date(2025, 4, 1), amount="100"
    )
    spend_create(account=account, user=None, source=ads, month=dt.date(2025, 4, 1), amount="50")
    for campaign, value in ((sample.spring, "200.00"), (None, "100.00")):
        DealFactory(
            account=account,
            source=ads,
            campaign=campaign,
            status="won",
            value=Decimal(value),
            created_at=_at(2, 4),
            closed_at=dt.date(2025, 4, 10),
        )
    return sample


# Each campaign row's changes against April: spend (delta, percent) and ROI (percentage points); Summer had no
# spend in April, so no ROI change and no spend percent; the source's own row ("All of the source").
CHANGES: dict[str, dict[str, tuple[str, str | None]]] = {
    "Spring": {"spend": ("200.00", "200.0"), "roi": ("300.0", None)},
    "Summer": {"spend": ("425.00", None)},
    "(no campaign)": {"spend": ("150.00", "300.0"), "roi": ("-75.0", None)},
}


def _api_changes(changes: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {name: (c["delta"], c["percent"]) for name, c in changes.items()}


def test_campaign_rows_compare_with_the_previous_period(tenant, april):
    stats = source_stats(account=april.account, filters=StatsFilters(period=MAY_RANGE, compare=True))
    rows = _rows(stats, april.ads)
    for name, row in rows.items():
        expected = CHANGES[{"-": "(no campaign)"}.get(name, name)]
        got = {key: (str(c.delta), None if c.percent is None else str(c.percent)) for key, c in row.changes.items()}
        assert got == expected, name
    # The source row compares as before, and its campaigns' spend changes add up to its own.
    source_row = next(r for r in stats.returns.rows if r.source.id == april.ads.pk)
    assert sum(row.changes["spend"].delta for row in rows.values()) == source_row.changes["spend"].delta
    # Not compared: no changes.
    plain = source_stats(account=april.account, filters=StatsFilters(period=MAY_RANGE))
    assert all(not row.changes for row in plain.campaigns[april.ads.pk])


def test_an_archived_campaign_with_figures_only_before_shows_with_its_change(tenant, april):
    gone = CampaignFactory(source=april.ads, name="Winter", archived=True)
    spend_create(
        account=april.account, user=None, source=april.ads, campaign=gone, month=dt.date(2025, 4, 1), amount="80"
    )
    stats = source_stats(account=april.account, filters=StatsFilters(period=MAY_RANGE, compare=True))
    winter = _rows(stats, april.ads)["Winter"]
    assert (winter.spend, winter.changes["spend"].delta, winter.changes["spend"].percent) == (
        Decimal("0.00"),
        Decimal("-80.00"),
        Decimal("-100.0"),
    )
    assert "Winter" not in _rows(source_stats(account=april.account, filters=StatsFilters(period=MAY_RANGE)), april.ads)


def test_the_roi_change_comes_from_the_exact_ratios(tenant, sample):
    """400 won of 300 spent after 500 of 300: ROI 33.3 % after 66.7 %, but the change is -33.3 points (the exact
    33.33 - 66.67), not the -33.4 of the rounded figures; as the source rows do it."""
    letters = CampaignFactory(source=sample.fairs, name="Letters")
    for month, won in ((dt.date(2025, 4, 1), "500.00"), (dt.date(2025, 5, 1), "400.00")):
        spend_create(
            account=sample.account, user=None, source=sample.fairs, campaign=letters, month=month, amount="300"
        )
        DealFactory(
            account=sample.account,
            source=sample.fairs,
            campaign=letters,
            status="won",
            value=Decimal(won),
            created_at=_at(2, month.month),
            closed_at=month.replace(day=10),
        )
    stats = source_stats(account=sample.account, filters=StatsFilters(period=MAY_RANGE, compare=True))
    row = _rows(stats, sample.fairs)["Letters"]
    assert (row.roi, row.changes["roi"].delta, row.changes["roi"].percent) == (Decimal("33.3"), Decimal("-33.3"), None)
    assert (row.changes["spend"].delta, row.changes["spend"].percent) == (Decimal("0.00"), Decimal("0.0"))
    source_row = next(r for r in stats.returns.rows if r.source.id == sample.fairs.pk)
    assert source_row.changes["roi"] == row.changes["roi"]  # the source has only this spend and these deals


def _campaign_row_html(html: str, source_pk: int, label: str) -> str:
    table = html[html.index(f'id="stats-campaigns-{source_pk}-table"') :]
    table = table[: table.index("</table>")]
    start = table.index(label)
    return table[table.rindex("<tr", 0, start) : table.index("</tr>", start)]


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_page_shows_the_changes_on_campaign_rows(tenant, april, language):
    client = tenant.client_for("viewer")
    client.cookies["django_language"] = language
    html = _part(client, tenant, april.ads, {**MAY_COMPARED, "lang": language}, language)
    comma = "," if language == "pl" else "."
    points = {"en": "pp", "pl": "p.p."}[language]
    spring = _campaign_row_html(html, april.ads.pk, "<bdi>Spring</bdi>")
    assert f'+200{comma}00</span> <span class="stats-change__part">(+200{comma}0%)' in spring
    assert f"+300{comma}0 {points}</span>" in spring
    rest = _campaign_row_html(html, april.ads.pk, {"en": "(no campaign)", "pl": "(bez kampanii)"}[language])
    assert f"-75{comma}0 {points}</span>" in rest
    total = _campaign_row_html(html, april.ads.pk, {"en": "All of the source", "pl": "Całe źródło"}[language])
    assert f"+775{comma}00</span>" in total
    # Without the comparison, no change on any campaign row.
    plain = _part(client, tenant, april.ads, MAY)
    assert "stats-change" not in _campaign_row_html(plain, april.ads.pk, "<bdi>Spring</bdi>")


def test_the_api_and_the_exports_carry_the_campaign_changes(tenant, april):
    client = tenant.client_for("viewer")
    body = ApiClient(account=tenant.account, user=tenant.viewer).get("/stats/sources", MAY_COMPARED)
    assert body.status_code == 200, body.content
    ads = next(r for r in body.json()["returns"]["rows"] if r["source"]["name"] == "Ads")
    assert {c["campaign"]["name"]: _api_changes(c["changes"]) for c in ads["campaigns"]} == CHANGES
    plain = ApiClient(account=tenant.account, user=tenant.viewer).get("/stats/sources", MAY).json()
    assert all(c["changes"] == {} for r in plain["returns"]["rows"] for c in r["campaigns"])

    exported = client.get(tenant.url("stats/sources/export.csv"), MAY_COMPARED).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(exported)))
    start = lines.index(["Spend and return per campaign"])
    columns = lines[start + 1]
    section = lines[start + 2 :]
    section = section[: section.index([])]
    changes = ("Spend: change", "Spend: change (%)", "ROI: change", "ROI: change (%)")
    assert columns[-4:] == list(changes)
    got = {line[2]: line[-4:] for line in section if line[0] == "Ads"}
    for name, expected in CHANGES.items():
        spend, roi = expected["spend"], expected.get("roi", (None, None))
        assert got[name] == [value or "" for value in (*spend, *roi)], name

    xlsx = client.get(tenant.url("stats/sources/export.xlsx"), MAY_COMPARED)
    assert xlsx.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(xlsx.streaming_content))).get_sheet_by_index(0)
    table = sheet.to_python()
    start = next(i for i, line in enumerate(table) if line[0] == "Spend and return per campaign")
    header = table[start + 1]
    spring = next(line for line in table[start + 2 :] if line[0] == "Ads" and line[2] == "Spring")
    assert [spring[header.index(name)] for name in changes] == [200, 200, 300, ""]


def test_another_accounts_campaigns_never_change_the_comparison(tenant, other_tenant, april):
    other = other_tenant.account
    other.sources_enabled = True
    other.save()
    theirs = CampaignFactory(source=SourceFactory(account=other, name="Theirs"), name="Secret plan")
    for month in (dt.date(2025, 4, 1), dt.date(2025, 5, 1)):
        spend_create(account=other, user=None, source=theirs.source, campaign=theirs, month=month, amount="999")
    body = ApiClient(account=tenant.account, user=tenant.viewer).get("/stats/sources", MAY_COMPARED).json()
    assert "Secret plan" not in str(body)
    ads = next(r for r in body["returns"]["rows"] if r["source"]["name"] == "Ads")
    assert {c["campaign"]["name"]: _api_changes(c["changes"]) for c in ads["campaigns"]} == CHANGES


# --- The triggers follow every change -------------------------------------------------------------------


def _campaign_n(account, campaign, kind: int, month: dt.date) -> int:
    return sum(
        CampaignTally.objects.for_account(account)
        .filter(campaign_key=campaign.pk, kind=kind, bucket=month)
        .values_list("n", flat=True)
    )


def test_the_tallies_follow_a_campaign_change_a_merge_and_a_delete(tenant, sample):
    account, may = sample.account, dt.date(2025, 5, 1)
    won = 4  # TallyKind.WON
    assert _campaign_n(account, sample.spring, won, may) == 2
    deal = Deal.objects.for_account(account).filter(campaign=sample.spring).order_by("pk").first()
    deal_update(account=account, user=None, deal=deal, version=None, campaign=sample.summer)
    assert (_campaign_n(account, sample.spring, won, may), _campaign_n(account, sample.summer, won, may)) == (1, 1)
    deal_update(account=account, user=None, deal=deal, version=None, campaign=None)
    assert _campaign_n(account, sample.summer, won, may) == 0
    assert tally_drift(account_ids=[account.pk]) == {}

    # A merge moves the records (and the campaigns): the rows follow the records' new source.
    into = SourceFactory(account=account, name="Paid", position=9)
    source_merge(account=account, user=None, source=sample.ads, into=into)
    assert set(CampaignTally.objects.for_account(account).exclude(n=0).values_list("source_key", flat=True)) == {
        into.pk
    }
    stats = source_stats(account=account, filters=StatsFilters(period=MAY_RANGE))
    rows = {row.campaign.name or "-": row for row in stats.campaigns[into.pk]}
    assert (rows["Spring"].won_count, rows["Spring"].spend) == (1, Decimal("300.00"))
    assert tally_drift(account_ids=[account.pk]) == {}

    remaining = Deal.objects.for_account(account).get(campaign=sample.spring)
    record_delete(Deal, account=account, record=remaining, version=None)
    company = Company.objects.for_account(account).get(campaign=sample.spring)
    record_delete(Company, account=account, record=company, version=None)
    assert not CampaignTally.objects.for_account(account).filter(campaign_key=sample.spring.pk).exclude(n=0).exists()
    assert tally_drift(account_ids=[account.pk]) == {}


def test_the_rebuild_writes_the_same_campaign_tallies(tenant, sample):
    PersonFactory(account=sample.account, source=sample.ads, campaign=sample.summer, created_at=_at(30, 4, 22))
    before = sorted(
        CampaignTally.objects.for_account(sample.account)
        .exclude(n=0)
        .values_list("kind", "bucket", "source_key", "campaign_key", "currency", "n", "cents")
    )
    CampaignTally.objects.for_account(sample.account).delete()
    tallies_rebuild(account_ids=[sample.account.pk])
    after = sorted(
        CampaignTally.objects.for_account(sample.account)
        .exclude(n=0)
        .values_list("kind", "bucket", "source_key", "campaign_key", "currency", "n", "cents")
    )
    assert after == before
    # 30 April 22:00 UTC is 1 May in Warsaw: the person counts in May.
    assert _campaign_n(sample.account, sample.summer, 2, dt.date(2025, 5, 1)) == 1


@pytest.mark.parametrize("compare", [False, True])
@pytest.mark.parametrize("scope", ["every", "counts", "one"])
def test_the_query_count_does_not_grow_with_the_campaigns(tenant, sample, compare, scope):
    """Compared, the previous period's campaign groups come in the same query as the current period's: the count
    is the one without a comparison plus the previous period's own reads (figures, spend; not its days to close,
    whose medians are not shown). The same
    for the page (only the campaigns' counts: their pairs instead of their groups) and for one source's campaigns
    (the page's drill-down when opened)."""
    campaigns = {
        "every": EVERY_CAMPAIGN,
        "counts": CAMPAIGN_COUNTS,
        "one": CampaignScope(source_id=sample.fairs.pk),
    }[scope]

    def count() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            stats = source_stats(
                account=sample.account,
                filters=StatsFilters(period=DateRange(dt.date(2025, 4, 20), MAY_RANGE.end), compare=compare),
                campaigns=campaigns,
            )
        if scope == "one":
            assert set(stats.campaign_counts) <= {sample.fairs.pk}
        else:
            assert stats.campaign_counts[sample.ads.pk] == 2
        return len(queries)

    few = count()
    for number in range(6):
        campaign = CampaignFactory(source=sample.fairs, name=f"More {number}")
        DealFactory(account=sample.account, source=sample.fairs, campaign=campaign, created_at=_at(5 + number))
        spend_create(
            account=sample.account,
            user=None,
            source=sample.fairs,
            campaign=campaign,
            month=dt.date(2025, 5, 1),
            amount="10",
        )
        # Figures in the previous period (8 March - 19 April) too.
        DealFactory(account=sample.account, source=sample.fairs, campaign=campaign, created_at=_at(5 + number, 4))
    assert count() == few
    assert few == (9 if compare else 7)


# --- Against a plain-Python computation over the records and the spend ----------------------------------

# Around the month edges in Warsaw (UTC+2 in summer): 30 April 22:30 UTC is 1 May there, 31 May 22:30 UTC 1 June.
MOMENTS = [_at(30, 4, 21), _at(30, 4, 22), _at(15), _at(31, 5, 22), _at(10, 6)]
CLOSE_DAYS = [
    None,
    dt.date(2025, 4, 30),
    dt.date(2025, 5, 1),
    dt.date(2025, 5, 20),
    dt.date(2025, 5, 31),
    dt.date(2025, 6, 1),
]
PERIODS = [
    None,
    DateRange(dt.date(2025, 5, 1), dt.date(2025, 5, 31)),
    DateRange(dt.date(2025, 5, 1), dt.date(2025, 5, 15)),
    DateRange(dt.date(2025, 4, 30), dt.date(2025, 6, 1)),
    DateRange(dt.date(2025, 4, 15), dt.date(2025, 6, 10)),
    DateRange(dt.date(2025, 5, 16), dt.date(2025, 6, 10)),  # compared with 20 April - 15 May: records in both
]


def half_up(value: Fraction, places: int) -> Decimal:
    scale = 10**places
    scaled = abs(value) * scale
    units = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(units if value >= 0 else -units).scaleb(-places)


def _inside(day: dt.date | None, period: DateRange | None) -> bool:
    return day is not None and (period is None or period.start <= day <= period.end)


def reference(records, entries, period, key, rates) -> dict[str, Any]:
    """One campaign row (key: (source index, campaign index or None)) from first principles."""
    contacts = deals = won_count = 0
    won: dict[str, Fraction] = {}
    for kind, where, created, status, closed, cents, currency in records:
        if where != key:
            continue
        created_day = created.astimezone(ZONE).date()
        if kind in ("company", "person"):
            contacts += _inside(created_day, period)
        elif status == "open":
            deals += _inside(created_day, period)
        elif period is None or _inside(closed, period):
            deals += 1
            if status == "won":
                won_count += 1
                won[currency] = won.get(currency, Fraction(0)) + Fraction(cents, 100)
    won_value = sum((half_up(v * rates[c], 2) for c, v in won.items() if c in rates), Decimal("0.00"))
    parts: dict[str, Fraction] = {}
    for where, start, end, cents, currency in entries:
        if where != key:
            continue
        low, high = (start, end) if period is None else (max(start, period.start), min(end, period.end))
        inside = max((high - low).days + 1, 0)
        if inside:
            parts[currency] = parts.get(currency, Fraction(0)) + Fraction(cents, 100) * inside / (
                (end - start).days + 1
            )
    spend = sum(
        (half_up(Fraction(half_up(v, 2)) * rates[c], 2) for c, v in parts.items() if c in rates), Decimal("0.00")
    )
    apart = {c: half_up(v, 2) for c, v in parts.items() if c not in rates}
    row: dict[str, Any] = {
        "contacts": contacts,
        "deals": deals,
        "won_count": won_count,
        "won_value": won_value,
        "spend": spend,
        "apart": apart,
        "cost_per_deal": None,
        "roi": None,
        "roas": None,
    }
    if spend > 0:
        exact_spend, exact_won = Fraction(spend), Fraction(won_value)
        row["cost_per_deal"] = half_up(exact_spend / deals, 2) if deals else None
        row["roi"] = half_up((exact_won - exact_spend) / exact_spend * 100, 1)
        row["roas"] = half_up(exact_won / exact_spend, 2)
    return row


def reference_changes(now: dict[str, Any], before: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal | None]]:
    """A campaign row's changes against the previous period from first principles: the spend's delta and percent
    (none when it was zero), the ROI's in percentage points from the exact ratios (only when both had spend)."""
    spend, spend_before = Fraction(now["spend"]), Fraction(before["spend"])
    delta = now["spend"] - before["spend"]
    changes: dict[str, tuple[Decimal, Decimal | None]] = {
        "spend": (delta, half_up(Fraction(delta) / spend_before * 100, 1) if spend_before else None)
    }
    if spend > 0 and spend_before > 0:
        won, won_before = Fraction(now["won_value"]), Fraction(before["won_value"])
        points = ((won - spend) / spend - (won_before - spend_before) / spend_before) * 100
        changes["roi"] = (half_up(points, 1), None)
    return changes


ZONE = ZoneInfo("Europe/Warsaw")
KEYS = [(0, 0), (0, 1), (0, None), (1, 2), (1, None)]  # (source, campaign): two campaigns of source 0, one of 1

record = st.tuples(
    st.sampled_from(["company", "person", "deal", "deal", "deal"]),
    st.sampled_from(KEYS),
    st.sampled_from(MOMENTS),
    st.sampled_from(["open", "won", "won", "lost"]),
    st.sampled_from(CLOSE_DAYS),
    st.integers(min_value=0, max_value=10**7),
    st.sampled_from(["PLN", "EUR", "USD"]),  # USD has no rate
)
entry = st.tuples(
    st.sampled_from(KEYS),
    st.dates(min_value=dt.date(2025, 4, 10), max_value=dt.date(2025, 6, 20)),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=1, max_value=10**8),
    st.sampled_from(["PLN", "EUR", "USD"]),
).map(lambda t: (t[0], t[1], t[1] + dt.timedelta(days=t[2]), t[3], t[4]))
# Two won deals of one row, one closed on 30 April and one on 20 May: won value in a period and the one before it
# (for MAY, 1-15 May and 16 May - 10 June), so that both ROIs of a row are inexact and their change is tested.
won_pair = st.tuples(
    st.sampled_from(KEYS),
    st.integers(min_value=1, max_value=10**7),
    st.integers(min_value=1, max_value=10**7),
    st.sampled_from(["PLN", "EUR"]),
).map(
    lambda t: (
        ("deal", t[0], _at(20, 4), "won", dt.date(2025, 4, 30), t[1], t[3]),
        ("deal", t[0], _at(15), "won", dt.date(2025, 5, 20), t[2], t[3]),
    )
)
# Spend over every period and the one before it, so that compared rows often have spend in both (their ROI change).
lasting_entry = st.tuples(
    st.sampled_from(KEYS),
    st.integers(min_value=1, max_value=10**8),
    st.sampled_from(["PLN", "EUR"]),
).map(lambda t: (t[0], dt.date(2025, 2, 1), dt.date(2025, 6, 30), t[1], t[2]))


RATES = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99"), places=4)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(record, max_size=12),
    entries=st.lists(entry, max_size=4),
    lasting=st.lists(lasting_entry, max_size=2),
    period=st.sampled_from(PERIODS),
    rate=RATES,
    compare=st.booleans(),
)
def test_campaign_figures_equal_a_plain_computation(records, entries, lasting, period, rate, compare):  # noqa: PLR0917 — hypothesis
    _against_the_reference(records, [*entries, *lasting], period, rate, compare=compare)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(record, max_size=6),
    won_twice=st.lists(won_pair, min_size=1, max_size=3),
    lasting=st.lists(lasting_entry, min_size=1, max_size=3),
    entries=st.lists(entry, max_size=2),
    period=st.sampled_from([MAY_RANGE, DateRange(dt.date(2025, 5, 16), dt.date(2025, 6, 10))]),
    rate=RATES,
)
def test_campaign_changes_equal_a_plain_computation(records, won_twice, lasting, entries, period, rate):  # noqa: PLR0917 — hypothesis
    """Compared rows with spend and won value in both periods (so both ROIs are mostly inexact): their changes, the
    ROI's from the exact ratios, against the plain computation."""
    deals = [deal for pair in won_twice for deal in pair]
    _against_the_reference([*records, *deals], [*entries, *lasting], period, rate, compare=True)


def _against_the_reference(records, entries, period, rate, *, compare: bool) -> None:
    account = AccountFactory(sources_enabled=True, currency="PLN", time_zone="Europe/Warsaw")
    ExchangeRate.objects.create(account=account, base_currency="PLN", currency="EUR", rate=rate)
    sources = [SourceFactory(account=account, name=f"S{i}", position=i) for i in range(2)]
    campaigns = [CampaignFactory(source=sources[s], name=f"C{i}") for i, s in enumerate((0, 0, 1))]
    normalised = []
    for kind, (s, c), created, status, closed_day, cents, currency in records:
        campaign = campaigns[c] if c is not None else None
        if kind == "company":
            CompanyFactory(account=account, source=sources[s], campaign=campaign, created_at=created)
        elif kind == "person":
            PersonFactory(account=account, source=sources[s], campaign=campaign, created_at=created)
        else:
            closed = None if status == "open" else closed_day
            DealFactory(
                account=account,
                source=sources[s],
                campaign=campaign,
                status=status,
                closed_at=closed,
                value=Decimal(cents).scaleb(-2),
                currency=currency,
                created_at=created,
            )
            normalised.append((kind, (s, c), created, status, closed, cents, currency))
            continue
        normalised.append((kind, (s, c), created, status, None, cents, currency))
    for (s, c), start, end, cents, currency in entries:
        spend_create(
            account=account,
            user=None,
            source=sources[s],
            campaign=campaigns[c] if c is not None else None,
            start_date=start,
            end_date=end,
            amount=Decimal(cents).scaleb(-2),
            currency=currency,
        )
    viewer = UserFactory(email=f"viewer-{account.pk}@campaigns.test")
    MembershipFactory(account=account, user=viewer, role="viewer")
    params = (
        {"period": "all"}
        if period is None
        else {"period": "custom", "start": period.start.isoformat(), "end": period.end.isoformat()}
    )
    previous = period.previous() if compare and period is not None else None
    if compare:
        params["compare"] = "on"
    response = ApiClient(account=account, user=viewer).get("/stats/sources", params)
    assert response.status_code == 200, response.content
    if previous is not None:
        assert response.json()["previous_period"] == {
            "start": previous.start.isoformat(),
            "end": previous.end.isoformat(),
        }
    rows = {r["source"]["id"]: r for r in response.json()["returns"]["rows"]}
    rates = {"PLN": Fraction(1), "EUR": Fraction(rate)}
    for key in KEYS:
        s, c = key
        campaign_rows = {r["campaign"]["id"]: r for r in rows[sources[s].pk]["campaigns"]}
        got = campaign_rows[campaigns[c].pk if c is not None else None]
        expected = reference(normalised, entries, period, key, rates)
        for name in ("contacts", "deals", "won_count"):
            assert got[name] == expected[name], (key, name)
        for name in ("won_value", "spend", "cost_per_deal", "roi", "roas"):
            assert got[name] == (None if expected[name] is None else str(expected[name])), (key, name)
        assert {u["currency"]: u["value"] for u in got["spend_unconverted"]} == {
            k: str(v) for k, v in expected["apart"].items()
        }
        # Compared: the row's changes against the same row of the previous period (none when not compared).
        wanted = (
            {}
            if previous is None
            else reference_changes(expected, reference(normalised, entries, previous, key, rates))
        )
        assert {
            name: (Decimal(c["delta"]), None if c["percent"] is None else Decimal(c["percent"]))
            for name, c in got["changes"].items()
        } == wanted, key
        # The source's rows add up to the source (counts exactly).
        source_row = rows[sources[s].pk]
        for name in ("contacts", "deals", "won_count"):
            assert sum(r[name] for r in campaign_rows.values()) == source_row[name]
    # The page counts each source's campaigns from their pairs (not their sums) and loads one source's rows when
    # its drill-down is opened: the same campaigns as the rows above, and the same rows.
    filters = StatsFilters(period=period, compare=compare)
    every = source_stats(account=account, filters=filters)
    counted = source_stats(account=account, filters=filters, campaigns=CAMPAIGN_COUNTS)
    assert counted.campaign_counts == {key: len(rows) - 1 for key, rows in every.campaigns.items()}
    assert counted.campaigns == {}
    for source in sources:
        one = source_stats(account=account, filters=filters, campaigns=CampaignScope(source_id=source.pk))
        assert one.campaigns == {k: v for k, v in every.campaigns.items() if k == source.pk}


# --- PostgreSQL: writers at the same moment ---------------------------------------------------------------


class TestConcurrentCampaignWriters:
    pytestmark = POSTGRES_RACE

    @pytest.mark.parametrize("attempt", range(rounds(20)))
    def test_campaign_writes_a_merge_and_a_zone_change_never_deadlock(self, attempt):
        """Writers of the same campaign tally rows (creates, a bulk re-tag, a delete), a source merge moving records
        into the campaign's source and a time-zone change (the rebuild's exclusive lock) at the same moment."""
        account = AccountFactory(time_zone="Europe/Warsaw", sources_enabled=True)
        paid, other = SourceFactory(account=account, name="Paid"), SourceFactory(account=account, name="Other")
        autumn = CampaignFactory(source=paid, name="Autumn")
        won = {"status": "won", "closed_at": dt.date(2026, 1, 2)}
        deals = [DealFactory(account=account, source=paid, campaign=autumn, **won) for _ in range(2)]
        plain = [DealFactory(account=account, source=paid, **won) for _ in range(2)]
        DealFactory(account=account, source=other, **won)  # so the merge has work to do
        CompanyFactory(account=account, source=other)

        def create() -> None:
            deal_create(account=account, user=None, name="Race", value="3.50", source=paid, campaign=autumn)

        def tag() -> None:
            Deal.objects.for_account(account).filter(pk__in=[d.pk for d in plain]).update(campaign=autumn)

        results = race(
            create,
            create,
            tag,
            lambda: Deal.objects.for_account(account).filter(pk=deals[0].pk).delete(),
            lambda: source_merge(account=account, user=None, source=other, into=paid),
            lambda: account_update_settings(
                account=Account.objects.get(pk=account.pk),
                version=account.settings_version,
                name=account.name,
                currency=account.currency,
                language=account.language,
                time_zone="Asia/Tokyo",
            ),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        assert tally_drift(account_ids=[account.pk]) == {}
        stats = source_stats(account=Account.objects.get(pk=account.pk), filters=StatsFilters())
        rows = {row.campaign.id: row for row in stats.campaigns[paid.pk]}
        assert rows[autumn.pk].deals == 5  # 2 + 2 created + 2 tagged - 1 deleted

    @pytest.mark.parametrize("attempt", range(rounds(20)))
    def test_a_merge_of_the_campaigns_source_against_new_deals_of_the_campaign(self, attempt):
        """The merged source's campaign moves while new deals pick it (with its source, and without: taking the
        campaign's). Each create either lands before the merge (and is moved) or after it, on the campaign's new
        source, or is refused on a field; never a deadlock (records.services.lock_picks_first)."""
        account = AccountFactory(time_zone="Europe/Warsaw", sources_enabled=True)
        paid, into = SourceFactory(account=account, name="Paid"), SourceFactory(account=account, name="Into")
        autumn = CampaignFactory(source=paid, name="Autumn")
        DealFactory(account=account, source=paid, campaign=autumn)  # so the merge has records to move
        results = race(
            lambda: deal_create(account=account, user=None, name="With", source=paid.pk, campaign=autumn.pk),
            lambda: deal_create(account=account, user=None, name="Without", campaign=autumn.pk),
            lambda: source_merge(account=account, user=None, source=paid, into=into),
        )
        assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationFailed)], results
        assert isinstance(results[2], int), results
        assert isinstance(results[1], Deal), results  # the campaign is never gone, only moved
        assert set(Deal.objects.for_account(account).values_list("source_id", flat=True)) == {into.pk}
        assert tally_drift(account_ids=[account.pk]) == {}
