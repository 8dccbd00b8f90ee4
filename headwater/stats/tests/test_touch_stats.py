"""Statistics grouped by touch: the touch tallies against a plain-Python count of the touches, and the page, the
CSV, the XLSX and the API giving the same figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from headwater.capture import services as capture_services
from headwater.capture import tally_sql
from headwater.capture.models import RecordTouches, Touch
from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.records.tests.api_contract import enable_sources
from headwater.sources.models import Source
from headwater.stats.filters import DateRange, GroupBy, StatsFilters
from headwater.stats.selectors import touch_stats
from headwater.testing.api import api_for
from headwater.testing.factories import AccountFactory, SourceFactory

pytestmark = pytest.mark.django_db

BASE = dt.date(2025, 3, 1)
ZONES = ["Europe/Warsaw", "America/New_York", "UTC"]


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def _aware(day_offset: int, minute: int, zone: str) -> dt.datetime:
    local = dt.datetime.combine(BASE + dt.timedelta(days=day_offset), dt.time(0), tzinfo=ZoneInfo(zone))
    return (local + dt.timedelta(minutes=minute)).astimezone(dt.UTC)


touch_strategy = st.tuples(
    st.integers(min_value=0, max_value=100),  # day after 1 March 2025
    st.sampled_from([0, 1, 30, 719, 1439]),  # minutes after local midnight
    st.integers(min_value=-1, max_value=2),  # resolved source index, -1 none
    st.integers(min_value=-1, max_value=2),  # reported source index
)
record_strategy = st.tuples(
    st.sampled_from(["company", "person", "deal"]),
    st.lists(touch_strategy, min_size=1, max_size=3),  # its touches: the first is the first, the last the last
)


def _expected(account: Any, basis: int, period: DateRange | None) -> dict[str, Counter[Any]]:
    """Counts straight from the rows, in Python: no SQL grouping, no tally."""
    zone = ZoneInfo(account.time_zone)
    touches = {t.pk: t for t in Touch.objects.for_account(account)}
    counts: dict[str, Counter[Any]] = {"company": Counter(), "person": Counter(), "deal": Counter()}
    pairs: Counter[Any] = Counter()
    for row in RecordTouches.objects.for_account(account):
        touch = touches[row.first_touch_id if basis == 1 else row.last_touch_id]
        day = touch.at.astimezone(zone).date()
        if period is not None and not period.start <= day <= period.end:
            continue
        counts[row.record_type][touch.resolved_source_id] += 1
        if row.record_type == "person":
            pairs[(touch.resolved_source_id, touch.reported_source_id)] += 1
    counts["pairs"] = pairs
    return counts


@settings(
    max_examples=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    zone=st.sampled_from(ZONES),
    records=st.lists(record_strategy, max_size=8),
    moves=st.lists(
        st.tuples(st.integers(min_value=0, max_value=30), st.integers(min_value=-1, max_value=2)), max_size=4
    ),
    deletions=st.lists(st.integers(min_value=0, max_value=30), max_size=2),
    start=st.integers(min_value=-5, max_value=100),
    length=st.integers(min_value=1, max_value=80),
    all_time=st.booleans(),
    basis=st.sampled_from([GroupBy.FIRST_TOUCH, GroupBy.LAST_TOUCH]),
)
def test_touch_figures_match_a_plain_python_count(  # noqa: PLR0917 — hypothesis passes them by name
    zone, records, moves, deletions, start, length, all_time, basis
):
    account = AccountFactory(time_zone=zone, sources_enabled=True)
    other = AccountFactory(time_zone=zone)
    sources = [SourceFactory(account=account, position=i) for i in range(3)]

    def source(index: int) -> Any:
        return sources[index] if index >= 0 else None

    made: list[Touch] = []
    for index, (record_type, visits) in enumerate(records):
        model = {"company": Company, "person": Person, "deal": Deal}[record_type]
        fields = {"name": f"R{index}"} if record_type != "person" else {"last_name": f"R{index}"}
        record = model.unscoped.create(account=account, **fields)
        row = None
        for day, minute, resolved, reported in visits:
            touch = Touch.unscoped.create(
                account=account,
                channel="API",
                at=_aware(day, minute, zone),
                resolved_source=source(resolved),
                reported_source=source(reported),
            )
            made.append(touch)
            if row is None:
                row = RecordTouches.unscoped.create(
                    account=account,
                    record_type=record_type,
                    record_id=record.pk,
                    first_touch=touch,
                    last_touch=touch,
                )
            else:
                row.last_touch = touch
                row.save(update_fields=["last_touch"])
    # Another account's touches never count here.
    foreign = Touch.unscoped.create(account=other, channel="API", at=_aware(3, 0, zone))
    RecordTouches.unscoped.create(
        account=other, record_type="person", record_id=1, first_touch=foreign, last_touch=foreign
    )
    # Re-resolved touches (rules applied again, a value mapped, a correction), in one bulk UPDATE like the service's.
    moved = []
    for pick, target in moves:
        if made:
            touch = made[pick % len(made)]
            touch.resolved_source = source(target)
            moved.append(touch)
    if moved:
        Touch.unscoped.bulk_update(moved, ["resolved_source"])
    for pick in deletions:
        if made:
            made[pick % len(made)].delete()  # its RecordTouches rows go with it (cascade)
            made = [t for t in made if Touch.unscoped.filter(pk=t.pk).exists()]

    period = None if all_time else DateRange(BASE + dt.timedelta(days=start), BASE + dt.timedelta(days=start + length))
    stats = touch_stats(account=account, filters=StatsFilters(period=period, group_by=basis))
    expected = _expected(account, 1 if basis == GroupBy.FIRST_TOUCH else 2, period)
    ids = {row.source.id for row in stats.rows}
    assert ids == {s.pk for s in sources} | {None}
    for shown in stats.rows:
        sid = shown.source.id
        assert (shown.companies, shown.persons, shown.deals) == (
            expected["company"][sid],
            expected["person"][sid],
            expected["deal"][sid],
        )
        pairs = expected["pairs"]
        assert shown.tracked == sum(n for (t, _r), n in pairs.items() if t == sid)
        assert shown.reported == sum(n for (_t, r), n in pairs.items() if r == sid)
        if sid is not None:
            both = pairs[(sid, sid)]
            answered = sum(n for (t, r), n in pairs.items() if t == sid and r is not None)
            assert (shown.agree, shown.answered) == (both, answered)
            # Agreement in percent, half up to 0.1, by integer arithmetic.
            expected_share = None if not answered else (both * 1000 * 2 + answered) // (answered * 2)
            assert (None if shown.agreement is None else int(shown.agreement * 10)) == expected_share
        else:
            assert shown.agree is None
    assert stats.total.persons == sum(expected["person"].values())
    assert not tally_sql.tally_drift(connection, account_ids=[account.pk, other.pk])


# --- The doors agree -------------------------------------------------------------------------------------


@pytest.fixture
def leads(tenant):
    """Three leads through the lead API: two from the newsletter (one said so), one from Google that named the
    newsletter, and the first returning from Google (its last touch moves)."""
    enable_sources(tenant.account)
    capture_services.capture_rules_seed_defaults(account=tenant.account, user=tenant.admin)
    api = api_for(tenant, "member")
    mail = "https://shop.example.pl/?utm_source=newsletter&utm_medium=email"
    for email, landing, referrer, said in (
        ("a@example.pl", mail, "", "E-mail campaign"),
        ("b@example.pl", mail, "", ""),
        ("c@example.pl", "https://shop.example.pl/", "https://www.google.pl/", "E-mail campaign"),
        ("a@example.pl", "https://shop.example.pl/", "https://www.google.com/", ""),
    ):
        body = {
            "person": {"last_name": email.split("@")[0], "email": email},
            "touch": {"landing_url": landing, "referrer": referrer},
            "deal": {},
            "self_reported": said,
        }
        assert api.post("leads", body).status_code in (200, 201)
    return tenant


def test_page_csv_xlsx_and_api_agree_by_last_and_first_touch(leads):
    email = Source.objects.for_account(leads.account).get(name="E-mail campaign")
    organic = Source.objects.for_account(leads.account).get(name="Organic search")
    expected: dict[str, dict[str, tuple[int, int, int, str | None]]] = {
        # by last touch: a moved to organic search; b stays on e-mail; c came from organic search
        "last_touch": {email.name: (1, 1, 0, None), organic.name: (2, 0, 0, "0.0")},
        # by first touch: a and b from e-mail (a said so), c from organic (said e-mail)
        "first_touch": {email.name: (2, 2, 1, "100.0"), organic.name: (1, 0, 0, "0.0")},
    }
    client = leads.client_for("viewer")
    for group_by, figures in expected.items():
        body = api_for(leads, "viewer").get(f"stats/sources?group_by={group_by}")
        assert body.status_code == 200, body.content
        data = body.json()
        assert data["group_by"] == group_by
        rows = {row["source"]["name"]: row for row in data["rows"]}
        for name, (persons, reported, agree, agreement) in figures.items():
            row = rows[name]
            assert (row["persons"], row["reported"], row["agree"], row["agreement"]) == (
                persons,
                reported,
                agree,
                agreement,
            ), (group_by, name, row)
            # Each submission opened a deal with that one touch: a's second deal came from Google.
            assert row["deals"] == 2
        assert data["total"]["persons"] == 3

        page = client.get(leads.url(f"stats/sources/?group_by={group_by}"))
        assert page.status_code == 200
        html = page.content.decode()
        assert 'id="stats-touch-records"' in html
        assert 'id="stats-touch-reported"' in html
        assert 'id="stats-contacts"' not in html

        exported = client.get(leads.url(f"stats/sources/export.csv?group_by={group_by}"))
        assert exported.status_code == 200
        lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        table = [line for line in lines if line and line[0] in figures]
        by_name: dict[str, list[list[str]]] = {}
        for line in table:
            by_name.setdefault(line[0], []).append(line)
        for name, (persons, reported, agree, agreement) in figures.items():
            records_line, reported_line = by_name[name]
            assert int(records_line[4]) == persons
            assert (int(reported_line[3]), int(reported_line[4]), int(reported_line[5])) == (persons, reported, agree)
            assert reported_line[7] == (agreement or "")

        xlsx = client.get(leads.url(f"stats/sources/export.xlsx?group_by={group_by}"))
        assert xlsx.status_code == 200
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(xlsx.streaming_content))).get_sheet_by_index(0)
        xrows = [row for row in sheet.to_python() if row and row[0] in figures]
        assert [(r[0], int(r[3]), int(r[4])) for r in xrows] == [
            (line[0], int(line[3]), int(line[4])) for line in table
        ]


def test_group_by_is_checked_everywhere(leads):
    api = api_for(leads, "viewer")
    bad = api.get("stats/sources?group_by=campaign")
    assert bad.status_code == 422
    assert "group_by" in bad.content.decode()
    owner = api.get(f"stats/sources?group_by=last_touch&owner_id={leads.admin.pk}")
    assert owner.status_code == 400
    assert "owner_id" in owner.json()["error"]["fields"]
    compared = api.get("stats/sources?group_by=first_touch&period=last_30&compare=true")
    assert compared.status_code == 400
    assert "compare" in compared.json()["error"]["fields"]
    client = leads.client_for("viewer")
    page = client.get(leads.url("stats/sources/?group_by=nonsense"))
    assert page.status_code == 400
    assert "nonsense" in page.content.decode()
    assert client.get(leads.url("stats/sources/export.csv?group_by=nonsense")).status_code == 400
    # The default is the record's source, as before.
    assert "contacts" in api.get("stats/sources").json()
    assert "contacts" in api.get("stats/sources?group_by=source").json()


def test_by_touch_reads_one_tally_query_whatever_the_leads(leads):
    """The page's cost does not grow with the touches: one read of the tallies and the catalogue."""
    client = leads.client_for("viewer")
    url = leads.url("stats/sources/?group_by=last_touch&period=last_90")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    api = api_for(leads, "member")
    for n in range(5):
        api.post("leads", {"person": {"last_name": f"x{n}", "email": f"x{n}@example.pl"}, "touch": {}})
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before)
    tally_reads = [q for q in after.captured_queries if tally_sql.TABLE in q["sql"]]
    assert len(tally_reads) == 1
    assert "capture_touch " not in " ".join(q["sql"] for q in after.captured_queries)


def test_a_time_zone_change_rebuilds_the_touch_tallies_too(tenant):
    """A touch at 23:30 UTC is on the next local day in Warsaw: the zone's rebuild moves it, with the record
    tallies, in one transaction."""
    from headwater.stats.services import tallies_rebuild  # noqa: PLC0415 — only here

    account = tenant.account
    enable_sources(account)
    capture_services.lead_capture(
        account=account, user=None, channel="API", person={"last_name": "Late"}, touch={"utm_source": "x"}
    )
    Touch.objects.for_account(account).update(at=dt.datetime(2025, 3, 31, 22, 30, tzinfo=dt.UTC))
    assert not tally_sql.tally_drift(connection, account_ids=[account.pk])
    type(account).objects.filter(pk=account.pk).update(time_zone="America/New_York")
    assert tally_sql.tally_drift(connection, account_ids=[account.pk])  # the tallies still hold Warsaw's days
    tallies_rebuild(account_ids=[account.pk])
    assert not tally_sql.tally_drift(connection, account_ids=[account.pk])
    account.refresh_from_db()
    march = DateRange(dt.date(2025, 3, 31), dt.date(2025, 3, 31))
    assert (
        touch_stats(account=account, filters=StatsFilters(period=march, group_by=GroupBy.LAST_TOUCH)).total.persons == 1
    )
