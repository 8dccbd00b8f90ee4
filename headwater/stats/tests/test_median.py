"""Honest statistics: the median days to close beside the mean, and how many of a row's deals are still open.

The random data sets of `test_selectors.py` compare the median with `statistics.median` over the records on every
kind of period, owner filter and channel; these are the named cases and the doors (page, CSV, XLSX, API).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from headwater.deals.models import Deal
from headwater.stats.close_tally_sql import TABLE
from headwater.stats.models import CloseDaysTally
from headwater.stats.money import median_days, median_days_of, sorted_days
from headwater.stats.services import tallies_bulk_insert, tallies_rebuild
from headwater.stats.tally_drift import tally_drift
from headwater.testing.api import api_for
from headwater.testing.factories import DealFactory, SourceFactory

# 31 March 2025, 23:30 UTC: 1 April, 01:30 in Warsaw (CEST), still 31 March, 19:30 in New York (EDT).
LATE_EVENING = dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC)
NOON = dt.datetime(2025, 4, 1, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, None),
        ({5: 1}, Decimal("5.0")),
        ({1: 1, 2: 1}, Decimal("1.5")),  # even: the mean of the lower and the upper middle
        ({1: 1, 2: 1, 10: 1, 30: 1}, Decimal("6.0")),
        ({1: 1, 2: 1, 10: 1, 30: 1, 100: 1}, Decimal("10.0")),  # odd: the middle one, whatever the tail
        ({0: 3, 9: 3}, Decimal("4.5")),
        ({0: 3, 9: 4}, Decimal("9.0")),
        ({-3: 1, 4: 1}, Decimal("0.5")),  # a close date typed before the creation day counts as negative days
        ({-3: 2}, Decimal("-3.0")),
        ({7: 0, 2: 1}, Decimal("2.0")),  # a count fallen to zero is no deal
    ],
)
def test_median_takes_the_middle_or_the_mean_of_the_two_middles(counts, expected):
    assert median_days(counts) == expected
    assert median_days_of([sorted_days(counts)]) == expected


@given(
    st.lists(
        st.dictionaries(st.integers(min_value=-40, max_value=400), st.integers(min_value=0, max_value=6), max_size=12),
        max_size=6,
    )
)
def test_the_median_of_several_groups_is_the_median_of_their_merged_counts(groups):
    """A channel's and the total's medians come from their sources' counts without merging them
    (`median_days_of`); merged, `median_days` (the ranks walked in order) must give the same figure, to the digit."""
    merged: dict[int, int] = {}
    for counts in groups:
        for days, count in counts.items():
            merged[days] = merged.get(days, 0) + count
    expected = median_days(merged)
    got = median_days_of([sorted_days(counts) for counts in groups])
    assert got == expected
    assert str(got) == str(expected)


@pytest.fixture
def website(tenant):
    tenant.account.sources_enabled = True
    tenant.account.save()
    return SourceFactory(account=tenant.account, name="Website")


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def closed_deal(tenant, source, *, created: dt.datetime, closed: dt.date, status: str = "won") -> Any:
    return DealFactory.create(
        account=tenant.account, source=source, status=status, created_at=created, closed_at=closed, value=Decimal("1")
    )


@pytest.mark.django_db
def test_page_csv_xlsx_and_api_agree_on_the_median_and_the_open_deals(tenant, website):
    # Days to close 1, 2, 10 and 30 (Warsaw days): mean 10.75, median (2 + 10) / 2 = 6.
    for days in (1, 2, 10, 30):
        closed_deal(tenant, website, created=NOON, closed=dt.date(2025, 4, 1) + dt.timedelta(days=days))
    closed_deal(tenant, None, created=NOON, closed=dt.date(2025, 4, 8), status="lost")  # no source: 7 days
    DealFactory(account=tenant.account, source=website, created_at=NOON, value=Decimal("1"))  # still open
    DealFactory(account=tenant.account, source=website, created_at=NOON, value=Decimal("1"))  # still open
    query = {"period": "custom", "start": "2025-04-01", "end": "2025-05-31"}

    client = tenant.client_for("viewer")
    response = client.get(tenant.url("stats/sources/"), query)
    stats = response.context["stats"]
    row = next(r for r in stats.closed_deals.rows if r.source.id == website.pk)
    assert (row.average_days, row.median_days, row.still_open) == (Decimal("10.8"), Decimal("6.0"), 2)
    # The total's median is over every closed deal: 1, 2, 7, 10, 30.
    total = stats.closed_deals.total
    assert (total.median_days, total.still_open) == (Decimal("7.0"), 2)
    html = response.content.decode()
    assert "Median days to close" in html
    assert '6.0<span class="stats-still-open">2 still open</span>' in html
    assert '7.0<span class="stats-still-open">2 still open</span>' in html

    page_csv = body(client.get(tenant.url("stats/sources/export.csv"), query)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(page_csv)))
    columns = next(r for r in rows if r[:4] == ["Source", "Channel", "Archived", "Won"])
    by_name = {r[0]: r for r in rows if len(r) == len(columns)}
    median, still_open = columns.index("Median days to close"), columns.index("Still open (created in the period)")
    assert (by_name["Website"][median], by_name["Website"][still_open]) == ("6.0", "2")
    assert (by_name["No source"][median], by_name["No source"][still_open]) == ("7.0", "0")
    assert by_name["Total"][median] == "7.0"

    api = api_for(tenant, "viewer").get("/stats/sources", query).json()
    website_out = next(r for r in api["closed_deals"]["rows"] if r["source"]["id"] == website.pk)
    assert (website_out["median_days"], website_out["still_open"]) == ("6.0", 2)
    assert (api["closed_deals"]["total"]["median_days"], api["closed_deals"]["total"]["still_open"]) == ("7.0", 2)
    api_csv = api_for(tenant, "viewer").get("/stats/sources.csv", query)
    assert body(api_csv).decode("utf-8-sig") == page_csv


@pytest.mark.django_db
def test_the_xlsx_holds_the_median_column(tenant, website):
    from python_calamine import CalamineWorkbook  # noqa: PLC0415 — the import wizard's reader, only needed here

    closed_deal(tenant, website, created=NOON, closed=dt.date(2025, 4, 4))
    content = body(tenant.client_for("viewer").get(tenant.url("stats/sources/export.xlsx")))
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    start = next(i for i, r in enumerate(sheet) if r[:4] == ["Source", "Channel", "Archived", "Won"])
    header = sheet[start]
    website_row = next(r for r in sheet[start:] if r[0] == "Website")
    assert website_row[header.index("Median days to close")] == 3


@pytest.mark.django_db
def test_sorting_by_the_median_puts_rows_without_one_last(tenant, website):
    ads = SourceFactory(account=tenant.account, name="Ads")
    closed_deal(tenant, website, created=NOON, closed=dt.date(2025, 4, 11))
    closed_deal(tenant, ads, created=NOON, closed=dt.date(2025, 4, 3))
    response = tenant.client_for("viewer").get(tenant.url("stats/sources/"), {"sort_closed": "-median_days"})
    assert response.status_code == 200
    html = response.content.decode()
    table = html.split('id="stats-closed"', 1)[1]
    assert table.index("Website") < table.index("Ads") < table.index("No source")


@pytest.mark.django_db
def test_a_time_zone_change_moves_the_days_to_close_and_the_median(tenant, website):
    # Created 1 April in Warsaw (2 days to close), 31 March in New York (3 days); the other deal 5 days in both.
    closed_deal(tenant, website, created=LATE_EVENING, closed=dt.date(2025, 4, 3))
    closed_deal(tenant, website, created=NOON, closed=dt.date(2025, 4, 6))
    client = tenant.client_for("viewer")
    query = {"period": "custom", "start": "2025-04-01", "end": "2025-04-30"}
    assert client.get(tenant.url("stats/sources/"), query).context["stats"].closed_deals.total.median_days == Decimal(
        "3.5"
    )
    cache.clear()
    response = tenant.client_for("admin").post(
        tenant.url("settings/"),
        {
            "name": tenant.account.name,
            "currency": tenant.account.currency,
            "language": tenant.account.language,
            "time_zone": "America/New_York",
            "version": str(tenant.account.settings_version),
        },
    )
    assert response.status_code == 302, response.content
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    for period in (query, {"period": "custom", "start": "2025-04-03", "end": "2025-04-06"}, {}):
        total = client.get(tenant.url("stats/sources/"), period).context["stats"].closed_deals.total
        assert total.median_days == Decimal("4.0"), period


@pytest.mark.django_db
def test_edits_bulk_changes_and_deletes_keep_the_counts_exact(tenant, website):
    ads = SourceFactory(account=tenant.account, name="Ads")
    deals = [closed_deal(tenant, website, created=NOON, closed=dt.date(2025, 4, 1 + d)) for d in range(5)]
    counts = CloseDaysTally.objects.for_account(tenant.account).filter(n__gt=0)
    assert counts.exists()  # the triggers wrote them (the drift check would pass on two empty tables)
    deal = deals[0]
    deal.closed_at = dt.date(2025, 6, 1)
    deal.save()
    Deal.objects.for_account(tenant.account).filter(pk__in=[d.pk for d in deals[1:3]]).update(source=ads)
    Deal.objects.for_account(tenant.account).filter(pk=deals[3].pk).update(status="open", closed_at=None)
    Deal.objects.for_account(tenant.account).filter(pk=deals[4].pk).delete()
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    stats = tenant.client_for("viewer").get(tenant.url("stats/sources/")).context["stats"]
    medians = {row.source.name: row.median_days for row in stats.closed_deals.rows if row.source.id}
    assert medians == {"Website": Decimal("61.0"), "Ads": Decimal("1.5")}


@pytest.mark.django_db(transaction=True)
def test_a_bulk_insert_and_a_rebuild_keep_the_counts_exact(tenant, website):
    with transaction.atomic(), tallies_bulk_insert(table="deals_deal") as tally:
        created = Deal.unscoped.bulk_create(
            Deal(
                account=tenant.account,
                name=f"D{i}",
                source=website,
                status="won",
                value=Decimal("1"),
                created_at=NOON,
                closed_at=dt.date(2025, 4, 1 + i),
            )
            for i in range(4)
        )
        tally(min(d.pk for d in created), max(d.pk for d in created))
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608 — our table
    assert tally_drift(account_ids=[tenant.account.pk])
    tallies_rebuild(account_ids=[tenant.account.pk])
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    total = tenant.client_for("viewer").get(tenant.url("stats/sources/")).context["stats"].closed_deals.total
    assert total.median_days == Decimal("1.5")
