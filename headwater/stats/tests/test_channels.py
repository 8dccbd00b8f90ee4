"""Statistics rolled up by channel: the page, its CSV and XLSX, and the API agree; the channel filter; the query count
does not grow with the number of channels."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.channels.services import channel_create
from headwater.sources.services import source_set_channel
from headwater.stats.tests.sample import build_sample
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, DealFactory, SourceFactory

pytestmark = pytest.mark.django_db

QUERY = "?period=custom&start=2025-03-01&end=2025-06-30&compare=on"


@pytest.fixture
def sample(tenant):
    built = build_sample(tenant.account, owner=tenant.member, other_owner=tenant.admin)
    account, admin = tenant.account, tenant.admin
    paid = channel_create(account=account, user=admin, name="Paid <search>")
    word = channel_create(account=account, user=admin, name="Word of mouth")
    source_set_channel(account=account, user=admin, source=built.website, channel_id=paid.pk)
    source_set_channel(account=account, user=admin, source=built.referral, channel_id=word.pk)
    source_set_channel(account=account, user=admin, source=built.fair, channel_id=word.pk)
    built.channels = (paid, word)
    return built


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def section(rows: list[list[str]], title: str) -> list[list[str]]:
    start = rows.index([title])
    return rows[start + 1 : rows.index([], start)]


def test_page_csv_and_api_agree_on_the_channel_rows(tenant, sample):
    client = tenant.client_for("viewer")
    response = client.get(tenant.url(f"stats/sources/{QUERY}"))
    stats = response.context["stats"]
    html = response.content.decode()
    groups = stats.closed_deals.channels
    assert [g.row.source.channel_name for g in groups] == ["Paid <search>", "Word of mouth", ""]
    assert [[r.source.name for r in g.rows] for g in groups] == [["Website"], ["Referral", "Trade fair"], ["Cold call"]]
    # The page: one <tbody> per channel, its name escaped, a checkbox that folds its sources.
    assert html.count('<tbody class="stats-channel">') == 15  # three channel groups in each of five tables
    assert "Paid &lt;search&gt;" in html
    assert "Paid <search>" not in html
    assert 'class="stats-channel__toggle"' in html

    closed = section(csv_rows(client.get(tenant.url(f"stats/sources/export.csv{QUERY}"))), "Closed deals")
    api = api_for(tenant, "viewer").get(
        "/stats/sources", {**dict(p.split("=") for p in QUERY[1:].split("&")), "compare": "true"}
    )
    assert api.status_code == 200, api.content
    api_channels = api.json()["closed_deals"]["channels"]
    channel_lines = [line for line in closed[1:] if line[0] == "All sources"]
    assert [line[1] for line in channel_lines] == ["Paid <search>", "Word of mouth", "No channel"]
    for group, line, out in zip(groups, channel_lines, api_channels, strict=True):
        assert out["source"]["kind"] == "channel"
        assert out["source"]["channel_id"] == group.row.source.channel_id
        assert line[3] == str(group.row.won_count) == str(out["won_count"])
        assert Decimal(line[4]) == group.row.won_value == Decimal(out["won_value"])
        assert (Decimal(line[7]) if line[7] else None) == group.row.win_rate
        assert out["changes"]["won_count"]["delta"] == str(group.row.changes["won_count"].delta)
    # Each source row names its channel, in the CSV and in the API.
    by_name = {line[0]: line[1] for line in closed[1:] if line[0] != "All sources"}
    assert by_name["Trade fair"] == "Word of mouth"
    assert by_name["No source"] == ""
    api_rows = {r["source"]["name"]: r["source"]["channel"] for r in api.json()["closed_deals"]["rows"]}
    assert api_rows["Referral"] == "Word of mouth"
    assert api_rows["Cold call"] == "No channel"


def test_xlsx_carries_the_channel(tenant, sample):
    from python_calamine import CalamineWorkbook  # noqa: PLC0415 — only this test reads an XLSX

    response = tenant.client_for("viewer").get(tenant.url(f"stats/sources/export.xlsx{QUERY}"))
    data = b"".join(response.streaming_content)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    header = next(r for r in rows if r[:2] == ["Source", "Channel"])
    assert header[2] == "Archived"
    assert ["All sources", "Word of mouth"] in [r[:2] for r in rows]


@pytest.mark.parametrize(
    ("which", "expected"), [(0, ["Website"]), (1, ["Referral", "Trade fair"]), ("none", ["Cold call"])]
)
def test_the_channel_filter_keeps_its_sources_only(tenant, sample, which, expected):
    value = "none" if which == "none" else str(sample.channels[which].pk)
    response = tenant.client_for("viewer").get(tenant.url(f"stats/sources/?channel={value}"))
    stats = response.context["stats"]
    names = [row.source.name for row in stats.closed_deals.rows]
    assert names == expected
    assert all(row.source.id is not None for row in stats.closed_deals.rows)  # no "No source" row
    csv_file = tenant.client_for("viewer").get(tenant.url(f"stats/sources/export.csv?channel={value}"))
    assert csv_file.status_code == 200  # the filter's label is written in the file: a lazy text once broke it
    assert api_for(tenant, "viewer").get("/stats/sources.csv", {"channel": value}).status_code == 200
    api = api_for(tenant, "viewer").get("/stats/sources", {"channel": value}).json()
    assert [r["source"]["name"] for r in api["closed_deals"]["rows"]] == names
    assert api["closed_deals"]["total"]["won_count"] == stats.closed_deals.total.won_count


def test_another_account_channel_is_refused(tenant, other_tenant, sample):
    theirs = channel_create(account=other_tenant.account, user=other_tenant.admin, name="Theirs")
    page = tenant.client_for("viewer").get(tenant.url(f"stats/sources/?channel={theirs.pk}"))
    assert page.status_code == 400
    api = api_for(tenant, "viewer").get("/stats/sources", {"channel": str(theirs.pk)})
    assert api.status_code == 400
    assert "channel" in api.content.decode()
    assert "Select a valid choice" in api.content.decode()


def test_the_page_query_count_does_not_grow_with_channels(tenant, sample):
    client = tenant.client_for("viewer")
    client.get(tenant.url(f"stats/sources/{QUERY}"))
    with CaptureQueriesContext(connection) as few:
        client.get(tenant.url(f"stats/sources/{QUERY}"))
    for n in range(8):
        channel = channel_create(account=tenant.account, user=tenant.admin, name=f"Extra {n}")
        source = SourceFactory(account=tenant.account, channel=channel)
        DealFactory(account=tenant.account, source=source)
    with CaptureQueriesContext(connection) as many:
        response = client.get(tenant.url(f"stats/sources/{QUERY}"))
    assert len(response.context["stats"].open_deals.channels) == 11
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# Each section's figures that add up: a channel's row is its sources' rows summed (the selector builds it from the
# figures directly, without a row per source: stats/selectors.py, stats/returns.py).
ADDITIVE = {
    "contacts": ("companies", "persons"),
    "funnel": ("contacts", "with_deal", "won"),
    "open_deals": ("count", "value"),
    "closed_deals": ("won_count", "won_value", "lost_count", "lost_value", "still_open"),
    "returns": ("spend", "contacts", "deals", "won_count", "won_value"),
}


@pytest.mark.parametrize("query", [QUERY, "", "?period=custom&start=2025-03-01&end=2025-06-30"])
def test_each_channel_row_adds_up_its_sources(tenant, sample, query):
    # The funnel's contacts with a deal and with a won one, in both channels (the sample's deals have no contact).
    may = dt.datetime(2025, 5, 10, 12, tzinfo=dt.UTC)
    account = tenant.account
    for source, status in ((sample.website, "won"), (sample.referral, "won"), (sample.fair, "lost")):
        company = CompanyFactory(account=account, source=source, created_at=may)
        DealFactory(account=account, company=company, status=status, closed_at=dt.date(2025, 6, 2))
    stats = tenant.client_for("viewer").get(tenant.url(f"stats/sources/{query}")).context["stats"]
    checked = 0
    for name, figures in ADDITIVE.items():
        section = getattr(stats, name)
        assert section.channels, name
        for group in section.channels:
            for figure in figures:
                parts = [getattr(row, figure) for row in group.rows]
                assert getattr(group.row, figure) == sum(parts), (name, group.row.source, figure)
                checked += bool(any(parts))
    assert checked > 10  # the sample's channels have figures in every section
