from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.companies.models import Company
from headwater.core import pagination
from headwater.core.cursors import InvalidCursor, sign_cursor
from headwater.core.pagination import Ordering, Page, bounded_count, decode_cursor, estimated_rows, keyset_page
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.records.search import search_filter
from headwater.testing.factories import AccountFactory, CompanyFactory

pytestmark = pytest.mark.django_db


def walk(qs, ordering, page_size):
    """Every page forward from the first, then every page backward from the last."""
    pages = [keyset_page(qs, ordering=ordering, cursor=None, page_size=page_size, count_limit=1000)]
    while pages[-1].has_next:
        pages.append(
            keyset_page(qs, ordering=ordering, cursor=pages[-1].next_cursor, page_size=page_size, count_limit=1000)
        )
    back = [pages[-1]]
    while back[-1].has_prev:
        back.append(
            keyset_page(qs, ordering=ordering, cursor=back[-1].prev_cursor, page_size=page_size, count_limit=1000)
        )
    return pages, back


def expected_order(rows, fields, descending):
    return sorted(rows, key=lambda r: (*(getattr(r, f) for f in fields), r.pk), reverse=descending)


@given(
    names=st.lists(st.sampled_from(["a", "B", "b", "c", "Ć", "zz"]), min_size=0, max_size=40),
    page_size=st.integers(min_value=1, max_value=7),
    descending=st.booleans(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_walking_forward_and_back_yields_every_row_once_in_order(account, names, page_size, descending):
    Company.objects.for_account(account).delete()
    Company.unscoped.bulk_create([Company(account=account, name=n) for n in names])
    qs = Company.objects.for_account(account)
    ordering = Ordering(("name",), descending=descending)
    # The database's collation decides the order of names; the pk breaks ties exactly.
    expected = list(qs.order_by(*ordering.order_by(qs.model)).values_list("pk", flat=True))
    assert len(expected) == len(names)

    forward, backward = walk(qs, ordering, page_size)
    seen = [row.pk for page in forward for row in page.rows]
    assert seen == expected
    assert all(len(p.rows) == page_size for p in forward[:-1])
    assert [p.start for p in forward] == [1 + i * page_size for i in range(len(forward))]
    # Walking back visits the same pages in reverse and ends on the first page.
    assert [[r.pk for r in p.rows] for p in backward] == [[r.pk for r in p.rows] for p in reversed(forward)]
    assert backward[-1].start == 1
    assert not backward[-1].has_prev


def test_ties_on_two_columns(account):
    for last, first in [("Nowak", "Anna"), ("Nowak", "Anna"), ("Nowak", "Jan"), ("Adamska", "Ewa"), ("Nowak", "")]:
        Person.unscoped.create(account=account, last_name=last, first_name=first)
    qs = Person.objects.for_account(account)
    ordering = Ordering(("last_name", "first_name"))
    forward, _ = walk(qs, ordering, 2)
    seen = [r.pk for p in forward for r in p.rows]
    assert seen == [r.pk for r in expected_order(list(qs), ("last_name", "first_name"), descending=False)]


def test_other_accounts_rows_never_appear(account):
    other = AccountFactory(slug="other")
    CompanyFactory.create_batch(3, account=other)
    mine = CompanyFactory.create_batch(2, account=account)
    page = keyset_page(
        Company.objects.for_account(account), ordering=Ordering(("name",)), cursor=None, page_size=10, count_limit=100
    )
    assert {r.pk for r in page.rows} == {c.pk for c in mine}


def test_no_offset_and_two_queries(account):
    CompanyFactory.create_batch(12, account=account)
    qs = Company.objects.for_account(account)
    first = keyset_page(qs, ordering=Ordering(("created_at",), True), cursor=None, page_size=5, count_limit=100)
    with CaptureQueriesContext(connection) as ctx:
        second = keyset_page(
            qs, ordering=Ordering(("created_at",), True), cursor=first.next_cursor, page_size=5, count_limit=100
        )
    assert len(ctx.captured_queries) == 2
    assert not any("OFFSET" in q["sql"].upper() for q in ctx.captured_queries)
    assert second.start == 6
    assert second.total == 12


def test_count_is_bounded(account):
    CompanyFactory.create_batch(6, account=account)
    qs = Company.objects.for_account(account)
    assert bounded_count(qs, 6) == 6
    assert bounded_count(qs, 5) is None
    page = keyset_page(qs, ordering=Ordering(("name",)), cursor=None, page_size=2, count_limit=5)
    assert page.total is None
    assert not page.total_is_exact


def test_a_known_total_replaces_the_count_even_beyond_its_limit(account):
    """records.listing passes the tallies' exact total: one query, the page says the exact number."""
    CompanyFactory.create_batch(6, account=account)
    qs = Company.objects.for_account(account)
    with CaptureQueriesContext(connection) as ctx:
        page = keyset_page(qs, ordering=Ordering(("name",)), cursor=None, page_size=2, count_limit=5, known_total=6)
    assert len(ctx.captured_queries) == 1
    assert (page.total, page.total_is_exact, len(page.rows)) == (6, True, 2)
    # Without a count wanted (the API), a known total is not shown either.
    api = keyset_page(qs, ordering=Ordering(("name",)), cursor=None, page_size=2, count_limit=0, known_total=6)
    assert api.total is None


def test_no_cursor_means_first_page(account):
    assert decode_cursor(Company, Ordering(("name",)), "") is None
    assert decode_cursor(Company, Ordering(("name",)), None) is None


@pytest.mark.parametrize(
    "token",
    ["garbage", "!!!", base64.urlsafe_b64encode(b"[1,2]").decode(), base64.urlsafe_b64encode(b"\xff\xfe").decode()],
)
def test_malformed_cursor_is_refused(account, token):
    with pytest.raises(InvalidCursor):
        decode_cursor(Company, Ordering(("name",)), token)


def test_cursor_of_another_sort_or_list_is_refused(account):
    CompanyFactory.create_batch(4, account=account)
    qs = Company.objects.for_account(account)
    by_name = keyset_page(qs, ordering=Ordering(("name",)), cursor=None, page_size=2, count_limit=10)
    others = [
        (Company, Ordering(("created_at",))),
        (Company, Ordering(("name",), True)),
        (Person, Ordering(("email",))),
    ]
    for model, ordering in others:
        with pytest.raises(InvalidCursor):
            decode_cursor(model, ordering, by_name.next_cursor)
    assert decode_cursor(Company, Ordering(("name",)), by_name.next_cursor) is not None


def test_an_unsigned_cursor_of_the_old_kind_is_refused(account):
    payload = {"s": "created_at", "k": ["2026-01-01T00:00:00+00:00", 1], "b": False, "o": 1}
    token = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(InvalidCursor):
        decode_cursor(Company, Ordering(("created_at",)), token)


def test_tampered_key_types_are_refused_even_when_signed(account):
    payload = {"s": "created_at", "k": ["not a date", 1], "b": False, "o": 1}
    with pytest.raises(InvalidCursor):
        decode_cursor(Company, Ordering(("created_at",)), sign_cursor(payload, model=Company))


def test_without_a_count_a_page_is_one_query(account):
    """The API's lists show no total: count_limit=0 reads the page alone, in id order or another."""
    CompanyFactory.create_batch(5, account=account)
    qs = Company.objects.for_account(account)
    for ordering in (Ordering(()), Ordering((), True), Ordering(("name",))):
        expected = list(qs.order_by(*ordering.order_by(qs.model)).values_list("pk", flat=True))
        seen, cursor = [], None
        while True:
            with CaptureQueriesContext(connection) as ctx:
                page = keyset_page(qs, ordering=ordering, cursor=cursor, page_size=2, count_limit=0)
            assert len(ctx.captured_queries) == 1
            assert page.total is None
            seen += [r.pk for r in page.rows]
            cursor = page.next_cursor
            if not cursor:
                break
        assert seen == expected


def test_without_a_count_a_search_reads_no_ids_first(account):
    """The pin rides on the count's query; without a count (the API) the page is read at once."""
    CompanyFactory.create_batch(3, account=account)
    qs = Company.objects.for_account(account)
    with CaptureQueriesContext(connection) as ctx:
        page = keyset_page(qs, ordering=Ordering(("name",)), cursor=None, page_size=2, count_limit=0, pin_limit=4)
    assert len(ctx.captured_queries) == 1
    assert " IN (" not in ctx.captured_queries[0]["sql"]
    assert [r.pk for r in page.rows] == list(qs.order_by("name", "pk").values_list("pk", flat=True)[:2])


def _estimating(monkeypatch, rows):
    """The planner's estimate, fixed: the page's logic without the planner's judgement of a tiny table."""
    asked = []

    def estimate(qs):
        asked.append(qs)
        return rows

    monkeypatch.setattr(pagination, "estimated_rows", estimate)
    return asked


def test_a_search_expected_to_match_more_than_the_count_reads_shows_the_estimate(account, monkeypatch):
    """No count and no ids: the page alone, and the estimate, which is never taken for a count."""
    CompanyFactory.create_batch(6, account=account)
    qs = Company.objects.for_account(account)
    asked = _estimating(monkeypatch, 634_036)
    with CaptureQueriesContext(connection) as ctx:
        page = keyset_page(
            qs, ordering=Ordering(("name",)), cursor=None, page_size=2, count_limit=5, estimate_when_many=True
        )
    assert len(asked) == 1
    assert len(ctx.captured_queries) == 1
    assert "COUNT(" not in ctx.captured_queries[0]["sql"].upper()
    assert (page.total, page.total_is_exact, page.estimate, page.estimate_shown) == (None, False, 634_036, 630_000)
    assert [r.pk for r in page.rows] == list(qs.order_by("name", "pk").values_list("pk", flat=True)[:2])
    following = keyset_page(
        qs, ordering=Ordering(("name",)), cursor=page.next_cursor, page_size=2, count_limit=5, estimate_when_many=True
    )
    assert (following.start, following.total, following.estimate) == (3, None, 634_036)


def test_an_estimate_within_the_limit_or_a_first_page_holding_every_row_gives_the_exact_count(account, monkeypatch):
    CompanyFactory.create_batch(6, account=account)
    qs = Company.objects.for_account(account)
    _estimating(monkeypatch, 5)
    within = keyset_page(
        qs, ordering=Ordering(("name",)), cursor=None, page_size=2, count_limit=10, estimate_when_many=True
    )
    assert (within.total, within.estimate) == (6, None)
    # The planner may expect many where there are few: a first page without a next one has counted them all.
    _estimating(monkeypatch, 50_000)
    whole = keyset_page(
        qs, ordering=Ordering(("name",)), cursor=None, page_size=6, count_limit=5, estimate_when_many=True
    )
    assert (whole.total, whole.total_is_exact, whole.estimate) == (6, True, None)


def test_no_estimate_without_a_count_or_when_the_total_is_known(account, monkeypatch):
    CompanyFactory.create_batch(3, account=account)
    qs = Company.objects.for_account(account)
    asked = _estimating(monkeypatch, 50_000)
    api = keyset_page(
        qs, ordering=Ordering(("name",)), cursor=None, page_size=2, count_limit=0, estimate_when_many=True
    )
    known = keyset_page(
        qs,
        ordering=Ordering(("name",)),
        cursor=None,
        page_size=2,
        count_limit=2,
        known_total=3,
        estimate_when_many=True,
    )
    assert asked == []
    assert (api.estimate, known.total, known.estimate) == (None, 3, None)


@pytest.mark.parametrize(
    ("estimate", "end", "shown"),
    [(634_036, 25, 630_000), (10_226, 25, 10_000), (1_012_311, 25, 1_000_000), (87, 25, 87), (12_049, 12_050, 12_050)],
)
def test_an_estimate_is_shown_to_two_significant_digits_and_never_below_the_rows_reached(estimate, end, shown):
    page: Page[Company] = Page(
        rows=[Company()] * 25,
        ordering=Ordering(()),
        start=end - 24,
        next_cursor=None,
        prev_cursor=None,
        total=None,
        count_limit=10_000,
        estimate=estimate,
    )
    assert page.estimate_shown == shown


def test_the_planner_estimate_of_a_search(account):
    """PostgreSQL: EXPLAIN's rows, planned and not run; SQLite has no estimate (its searches count as before)."""
    for n in range(40):
        CompanyFactory(account=account, name=f"Firma {n}")
    qs = search_filter(Company.objects.for_account(account), "firma")
    if connection.vendor != "postgresql":
        assert estimated_rows(qs) is None
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE companies_company")
    with CaptureQueriesContext(connection) as ctx:
        many = estimated_rows(qs)
    few = estimated_rows(search_filter(Company.objects.for_account(account), "zq"))
    assert ctx.captured_queries[0]["sql"].startswith("EXPLAIN (FORMAT JSON) ")
    assert many is not None
    assert many > 10
    assert few is not None
    assert few < 10


def test_the_estimate_of_a_list_that_can_match_nothing_is_none_of_its_rows(account):
    """A search for a control character is `none()` (records.search): no SQL to plan, and no error."""
    CompanyFactory(account=account)
    with CaptureQueriesContext(connection) as ctx:
        estimate = estimated_rows(Company.objects.for_account(account).none())
    assert estimate == (0 if connection.vendor == "postgresql" else None)
    assert ctx.captured_queries == []
    page = keyset_page(
        search_filter(Company.objects.for_account(account), "a\x01b"),
        ordering=Ordering(("name",)),
        cursor=None,
        page_size=2,
        count_limit=5,
        estimate_when_many=True,
    )
    assert (page.rows, page.total, page.estimate) == ([], 0, None)


def _close_day_order(deals, descending):
    """A deal's close day sorts with empty (open deals) below every day, then by id: the order of `closed`."""
    return [
        d.pk for d in sorted(deals, key=lambda d: (d.closed_at is not None, d.closed_at or 0, d.pk), reverse=descending)
    ]


@given(
    days=st.lists(st.sampled_from([None, 1, 1, 2, 5, 30]), min_size=0, max_size=30),
    page_size=st.integers(min_value=1, max_value=6),
    descending=st.booleans(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_nullable_sort_walks_every_row_once_with_the_empty_values_lowest(account, days, page_size, descending):
    """Close days with ties and open deals (no close day), in both directions: forward and back, pages that cross
    from days to the empty ones, cursors that point at an open deal."""
    Deal.unscoped.filter(account=account).delete()
    base = dt.date(2026, 1, 1)
    Deal.unscoped.bulk_create(
        [
            Deal(
                account=account,
                name=f"D{i}",
                currency="PLN",
                status="open" if day is None else "won",
                closed_at=None if day is None else base + dt.timedelta(days=day),
            )
            for i, day in enumerate(days)
        ]
    )
    qs = Deal.objects.for_account(account)
    ordering = Ordering(("closed_at",), descending=descending)
    expected = _close_day_order(list(qs), descending)
    assert list(qs.order_by(*ordering.order_by(Deal)).values_list("pk", flat=True)) == expected

    forward, backward = walk(qs, ordering, page_size)
    assert [row.pk for page in forward for row in page.rows] == expected
    assert all(len(p.rows) == page_size for p in forward[:-1])
    assert [[r.pk for r in p.rows] for p in backward] == [[r.pk for r in p.rows] for p in reversed(forward)]
    assert backward[-1].start == 1


def test_a_page_reads_the_empty_values_only_when_the_days_run_out(account):
    base = dt.date(2026, 1, 1)
    Deal.unscoped.bulk_create(
        [Deal(account=account, name=f"W{i}", currency="PLN", status="won", closed_at=base) for i in range(3)]
        + [Deal(account=account, name=f"O{i}", currency="PLN") for i in range(3)]
    )
    qs = Deal.objects.for_account(account)
    ordering = Ordering(("closed_at",), descending=True)
    first = keyset_page(qs, ordering=ordering, cursor=None, page_size=1, count_limit=0)
    with CaptureQueriesContext(connection) as within_days:
        keyset_page(qs, ordering=ordering, cursor=first.next_cursor, page_size=1, count_limit=0)
    # The two closed deals after the cursor fill a page of one and its look-ahead: the open deals are not read.
    assert len(within_days) == 1
    with CaptureQueriesContext(connection) as crossing:
        second = keyset_page(qs, ordering=ordering, cursor=first.next_cursor, page_size=3, count_limit=0)
    assert len(crossing) == 2
    assert [d.closed_at for d in second.rows] == [base, base, None]
    # Neither read is an OR of a day and the empty value, which no index range serves.
    assert not [q for q in crossing if " OR " in q["sql"] and "IS NULL" in q["sql"]]


def test_a_cursor_may_hold_an_empty_value_only_where_the_column_can_be_empty(account):
    ordering = Ordering(("closed_at",), descending=True)
    open_deal = Deal.unscoped.create(account=account, name="Open", currency="PLN")
    token = sign_cursor({"s": "-closed_at", "k": [None, open_deal.pk], "b": False, "o": 26}, model=Deal)
    assert decode_cursor(Deal, ordering, token).key == (None, open_deal.pk)
    by_name = Ordering(("name",))
    with pytest.raises(InvalidCursor):
        decode_cursor(
            Deal, by_name, sign_cursor({"s": "name", "k": [None, open_deal.pk], "b": False, "o": 26}, model=Deal)
        )
