"""The Statistics page's parts that load when opened (stats/part_views.py): a source's campaigns and a trend chart's
figures. Each part is the table the page showed before it moved out (reference_parts.json, rendered by the page of
the commit before over part_sample's data), the page holds the hooks instead, and each part is scoped to the account,
validates every parameter (a 400 that says why, never a 500) and makes as many queries whatever the number of
sources and campaigns."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.sources.models import Source
from headwater.spend.services import spend_create
from headwater.stats.tests.part_sample import QUERIES, blocks, build, normalize
from headwater.testing.factories import CampaignFactory, CompanyFactory, DealFactory, SourceFactory

pytestmark = pytest.mark.django_db

REFERENCE = json.loads((Path(__file__).parent / "reference_parts.json").read_text(encoding="utf-8"))
HTMX = {"HX-Request": "true"}
MAY = "period=custom&start=2025-05-01&end=2025-05-31"


@pytest.fixture
def names(tenant):
    return build(tenant.account, tenant.admin)


def _client(tenant, language: str = "en"):
    tenant.viewer.language = language
    tenant.viewer.save()
    return tenant.client_for("viewer")


def _source_pk(names: dict[str, dict[int, str]], name: str) -> int:
    return next(pk for pk, named in names["source"].items() if named == name)


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("query", QUERIES)
def test_each_part_is_the_table_the_page_showed_before(tenant, names, language, query):
    client = _client(tenant, language)
    page = client.get(tenant.url(f"stats/sources/?{query}"))
    assert page.status_code == 200
    html = page.content.decode()
    assert blocks(html) == {}, "the page still holds a table that loads when opened"
    hooks = re.findall(r'<details [^>]*hx-get="([^"]+)"', html)
    loaded: dict[str, str] = {}
    for hook in hooks:
        part = client.get(hook.replace("&amp;", "&"), headers=HTMX)
        assert part.status_code == 200, (hook, part.content)
        assert "<html" not in part.content.decode()  # a fragment, not a page
        loaded |= blocks(part.content.decode())
    expected = {key.split(" ")[2]: block for key, block in REFERENCE.items() if key.startswith(f"{language} {query} ")}
    assert expected, "no reference for these filters"
    assert {normalize(key, names): normalize(block, names) for key, block in loaded.items()} == expected


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("query", QUERIES)
def test_without_a_source_or_a_chart_a_part_is_all_of_them(tenant, names, language, query):
    """Every drill-down opened on a page of its own: every source's campaigns, both charts' figures."""
    client = _client(tenant, language)
    expected = {key.split(" ")[2]: block for key, block in REFERENCE.items() if key.startswith(f"{language} {query} ")}
    for part, kind in (("campaigns/", "stats-campaigns-"), ("trend-figures/", "stats-trend-")):
        response = client.get(tenant.url(f"stats/sources/{part}?{query}"))
        assert response.status_code == 200
        loaded = {normalize(k, names): normalize(b, names) for k, b in blocks(response.content.decode()).items()}
        assert loaded == {key: block for key, block in expected.items() if key.startswith(kind)}
        assert list(loaded) == sorted(loaded)  # Ads before Fairs, contacts before won: the page's order


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_page_holds_the_hooks_and_says_what_opens_them(tenant, names, language):
    client = _client(tenant, language)
    html = client.get(tenant.url(f"stats/sources/?{MAY}")).content.decode()
    ads = _source_pk(names, "ADS")
    base = tenant.url("stats/sources/")
    for figures in ("contacts", "won"):
        assert (
            f'<details class="stats-figures" id="stats-trend-{figures}-figures" '
            f'hx-get="{base}trend-figures/?{MAY.replace("&", "&amp;")}&amp;figures={figures}" hx-trigger="toggle once"'
        ) in html
    assert f'hx-get="{base}campaigns/?{MAY.replace("&", "&amp;")}&amp;source={ads}"' in html
    # The charts' data stays on the page; the charts say where their figures are.
    assert 'id="stats-chart-data"' in html
    words = {
        "en": ("Show the figures", "Loading the figures…", "open “Show the figures” under it", "Show the campaigns on"),
        "pl": ("Pokaż liczby", "Wczytywanie liczb…", "otwórz „Pokaż liczby” pod nim", "Pokaż kampanie na osobnej"),
    }
    for word in words[language]:
        assert word in html, word
    assert "figures in the table under it" not in html
    # Sources without campaigns have no drill-down (Web), an archived campaign with figures counts (Fairs: Letters).
    assert f'id="stats-campaigns-{_source_pk(names, "WEB")}"' not in html
    assert {"en": "(1 campaign)", "pl": "(1 kampania)"}[language] in html


def test_a_part_asked_for_without_htmx_is_a_page_of_its_own(tenant, names):
    client = _client(tenant)
    ads = _source_pk(names, "ADS")
    response = client.get(tenant.url(f"stats/sources/campaigns/?{MAY}&sort_closed=-won_value&source={ads}"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Spend and return per campaign of Ads</h1>" in html
    assert f'id="stats-campaigns-{ads}-table"' in html
    # Back to the page with the same filters, without the part's own parameter.
    page_url = tenant.url(f"stats/sources/?{MAY}&sort_closed=-won_value").replace("&", "&amp;")
    assert f'<a href="{page_url}">Back to the statistics</a>' in html
    assert "HX-Request" in response["Vary"]
    figures = client.get(tenant.url(f"stats/sources/trend-figures/?{MAY}&figures=won"))
    assert figures.status_code == 200
    assert "<h1>Won value per month (PLN)</h1>" in figures.content.decode()
    assert 'id="stats-trend-won"' in figures.content.decode()


def test_another_accounts_source_or_slug_is_not_found(tenant, other_tenant, names):
    other = other_tenant.account
    other.sources_enabled = True
    other.save()
    theirs = SourceFactory(account=other, name="Theirs")
    CampaignFactory(source=theirs, name="Secret plan")
    DealFactory(account=other, source=theirs, status="won")
    client = _client(tenant)
    for source in (theirs.pk, 999_999_999):
        response = client.get(tenant.url(f"stats/sources/campaigns/?{MAY}&source={source}"), headers=HTMX)
        assert response.status_code == 404, source
        assert "Secret plan" not in response.content.decode()
    # Their slug, with their source or ours: not a member there.
    ads = _source_pk(names, "ADS")
    for source in (theirs.pk, ads):
        response = client.get(other_tenant.url(f"stats/sources/campaigns/?source={source}"), headers=HTMX)
        assert response.status_code == 404
    assert client.get(other_tenant.url("stats/sources/trend-figures/?figures=won"), headers=HTMX).status_code == 404


def test_a_source_without_campaigns_and_an_owner_filter_say_so(tenant, names):
    client = _client(tenant)
    web = _source_pk(names, "WEB")
    for source in (web, "none"):
        response = client.get(tenant.url(f"stats/sources/campaigns/?{MAY}&source={source}"), headers=HTMX)
        assert response.status_code == 200
        assert "This source has no campaigns with figures or spend in this period." in response.content.decode()
    ads = _source_pk(names, "ADS")
    owned = client.get(tenant.url(f"stats/sources/campaigns/?{MAY}&owner_id=none&source={ads}"), headers=HTMX)
    assert owned.status_code == 200
    assert "Spend has no owner" in owned.content.decode()


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("campaigns/?source=x", "source"),
        ("campaigns/?source=0", "source"),
        ("campaigns/?source=-3", "source"),
        ("campaigns/?source=1.5", "source"),
        ("campaigns/?source=" + "9" * 30, "source"),
        ("campaigns/?source=1&period=fortnight", "period"),
        ("campaigns/?source=1&period=custom&start=2025-06-01", "end"),
        ("campaigns/?source=1&period=custom&start=2025-13-01&end=2025-06-01", "start"),
        ("campaigns/?source=1&owner_id=999999", "owner_id"),
        ("campaigns/?source=1&channel=abc", "channel"),
        ("campaigns/?source=1&compare=maybe", "compare"),
        ("campaigns/?source=1&sort_closed=colour", "sort_closed"),
        ("trend-figures/?figures=lost", "figures"),
        ("trend-figures/?figures=won&trend_by=owner", "trend_by"),
        ("trend-figures/?figures=won&start=0001-01-01&end=0001-01-02&period=custom", "start"),
        ("trend-figures/?figures=won&group_by=touch", "group_by"),
    ],
)
def test_bad_parameters_are_a_400_that_names_them(tenant, names, path, field):
    client = _client(tenant)
    for headers in (HTMX, {}):
        response = client.get(tenant.url(f"stats/sources/{path}"), headers=headers)
        assert response.status_code == 400, (path, response.status_code)
        html = response.content.decode()
        assert f"<li><code>{field}</code>: " in html, html
        assert "These figures cannot be shown for this address:" in html


def test_bad_parameters_in_polish(tenant, names):
    client = _client(tenant, "pl")
    response = client.get(tenant.url("stats/sources/campaigns/?source=x"), headers=HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tych liczb nie da się pokazać pod tym adresem:" in html
    assert "Podaj źródło przez jego identyfikator" in html


def test_parts_of_an_account_without_sources_are_not_found_and_without_records_empty(tenant):
    client = tenant.client_for("viewer")
    assert client.get(tenant.url("stats/sources/campaigns/?source=1"), headers=HTMX).status_code == 404
    assert client.get(tenant.url("stats/sources/trend-figures/?figures=won"), headers=HTMX).status_code == 404
    tenant.account.sources_enabled = True
    tenant.account.save()
    empty = client.get(tenant.url("stats/sources/trend-figures/?figures=won"), headers=HTMX)
    assert empty.status_code == 200
    assert empty.content.decode() == '<p class="stats-part__empty">No figures in this period yet.</p>'


def _day(number: int) -> dt.date:
    return dt.date(2025, 5, 1 + number)


def _may(number: int) -> dt.datetime:
    return dt.datetime(2025, 5, 1 + number, 12, tzinfo=dt.UTC)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, headers=HTMX).status_code == 200
    return len(captured)


@pytest.mark.parametrize("compare", ["", "&compare=on"])
def test_each_part_makes_as_many_queries_whatever_the_sources_and_campaigns(tenant, names, compare):
    client = _client(tenant)
    ads = _source_pk(names, "ADS")
    urls = [
        tenant.url(f"stats/sources/campaigns/?{MAY}{compare}&source={ads}"),
        tenant.url(f"stats/sources/trend-figures/?{MAY}{compare}&figures=won"),
        tenant.url(f"stats/sources/trend-figures/?{MAY}{compare}&figures=contacts&trend_by=channel"),
    ]
    client.get(urls[0], headers=HTMX)  # the session, warm
    few = [_queries(client, url) for url in urls]
    ads_source = Source.objects.for_account(tenant.account).get(pk=ads)
    for number in range(6):
        source = SourceFactory(account=tenant.account, name=f"More {number}")
        DealFactory(
            account=tenant.account, source=source, status="won", created_at=_may(number), closed_at=_day(number)
        )
        CompanyFactory(account=tenant.account, source=source, created_at=_may(number))
        campaign = CampaignFactory(source=ads_source, name=f"Extra {number}")
        DealFactory(account=tenant.account, source=ads_source, campaign=campaign, created_at=_may(number))
        spend_create(account=tenant.account, user=None, source=ads_source, campaign=campaign, month=_day(0), amount="5")
    many = [_queries(client, url) for url in urls]
    assert many == few
    # The campaigns part reads what the page's figures read, the campaigns' tallies and names, and checks nothing
    # more for a source it shows.
    assert few[0] <= 16, few
