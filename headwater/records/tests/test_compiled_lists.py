"""The list selectors read through shapes compiled once (records.listing.list_query, core.compiled.ShapedQuery):
the same statements, rows, instances, counts and cursors as the plain querysets they replace, for every filter
combination, sort and direction, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.companies.models import Company
from headwater.companies.selectors import (
    COMPANY_PAGE_FIELDS,
    COMPANY_PAGE_RELATED,
    COMPANY_SORTS,
    company_list,
    company_page,
)
from headwater.core.compiled import ShapedQuery, shape_counts
from headwater.core.pagination import Ordering
from headwater.core.text import text_problem
from headwater.deals.models import Deal, DealStatus
from headwater.deals.selectors import DEAL_PAGE_FIELDS, DEAL_PAGE_RELATED, DEAL_SORTS, DealFilters, deal_list, deal_page
from headwater.persons.models import Person
from headwater.persons.selectors import (
    PERSON_PAGE_FIELDS,
    PERSON_PAGE_RELATED,
    PERSON_SORTS,
    PersonFilters,
    person_list,
    person_page,
)
from headwater.records.listing import RecordFilters, linked_query, list_query, record_page
from headwater.testing.factories import CampaignFactory, CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")
DAYS = [dt.date(2026, 3, 1) + dt.timedelta(days=d) for d in (0, 1, 1, 5, 30, 31, 92, 200)]


def _world(tenant: Any, other_tenant: Any) -> dict[str, Any]:
    """Records of every kind in two accounts, with ties in every sort column and empty links and close days."""
    rng = random.Random(16)
    world: dict[str, Any] = {}
    for t in (tenant, other_tenant):
        account = t.account
        sources = [SourceFactory(account=account), SourceFactory(account=account)]
        campaign = CampaignFactory(source=sources[0])
        owners = [t.admin, t.member, None]
        companies = [
            CompanyFactory(
                account=account,
                name=rng.choice(["Acme", "Beta", "acme", "Ćma"]),
                city=rng.choice(["", "Kraków", "Łódź"]),
                owner=rng.choice(owners),
                source=rng.choice([*sources, None]),
                created_at=dt.datetime.combine(rng.choice(DAYS), dt.time(23, 30), tzinfo=WARSAW),
            )
            for _ in range(12)
        ]
        persons = [
            PersonFactory(
                account=account,
                company=rng.choice([*companies[:3], None]),
                first_name=rng.choice(["Anna", "Jan"]),
                last_name=rng.choice(["Nowak", "Kowalski", "nowak"]),
                email=rng.choice(["", "a@x.test", "b@x.test"]),
                owner=rng.choice(owners),
                source=rng.choice([*sources, None]),
                campaign=rng.choice([campaign, None]),
                created_at=dt.datetime.combine(rng.choice(DAYS), dt.time(0, 0), tzinfo=WARSAW),
            )
            for _ in range(14)
        ]
        for _ in range(30):
            status = rng.choice([DealStatus.OPEN, DealStatus.WON, DealStatus.LOST])
            DealFactory(
                account=account,
                company=rng.choice([*companies[:3], None]),
                person=rng.choice([*persons[:2], None]),
                name=rng.choice(["Deal A", "Deal B"]),
                value=rng.choice([Decimal("0.00"), Decimal("10.50"), Decimal("999999.99")]),
                status=status,
                closed_at=None if status == DealStatus.OPEN else rng.choice([*DAYS, None]),
                owner=rng.choice(owners),
                source=rng.choice([*sources, None]),
                campaign=rng.choice([campaign, None]),
                created_at=dt.datetime.combine(rng.choice(DAYS), dt.time(rng.choice([0, 12])), tzinfo=WARSAW),
            )
        world[account.slug] = {
            "account": account,
            "owners": [o.pk for o in owners if o],
            "sources": [s.pk for s in sources],
            "campaigns": [campaign.pk],
            "companies": [c.pk for c in companies[:3]],
            "persons": [p.pk for p in persons[:2]],
            "users": {o.pk: o for o in owners if o},
            "source_objects": {s.pk: s for s in sources},
        }
    return world


@pytest.fixture
def world(tenant: Any, other_tenant: Any) -> dict[str, Any]:
    return _world(tenant, other_tenant)


def _snapshot(obj: Any, related: tuple[str, ...]) -> Any:
    """Every loaded field as its repr (type, time zone and decimal places included), and the linked records'."""
    if obj is None:
        return None
    deferred = obj.get_deferred_fields()
    own = {f.attname: repr(getattr(obj, f.attname)) for f in obj._meta.concrete_fields if f.attname not in deferred}
    linked = {}
    for name in related:
        cached = obj._state.fields_cache.get(name, "not loaded")
        linked[name] = cached if isinstance(cached, str) else _snapshot(cached, ())
    # The linked records cached (an empty cache that Model.__init__ happened to create is the one the first look
    # creates: ModelState.fields_cache is made on first use).
    state = (obj._state.adding, obj._state.db, sorted(obj._state.fields_cache))
    return type(obj), own, linked, state, [name for name in vars(obj) if name != "_state"]


def _walk(read: Any, related: tuple[str, ...], page_size: int) -> list[Any]:
    """Every page forward from the first, then back from the last: rows, positions, totals, cursors."""
    pages = [read(None, page_size)]
    while pages[-1].next_cursor:
        pages.append(read(pages[-1].next_cursor, page_size))
    back = [pages[-1]]
    while back[-1].prev_cursor:
        back.append(read(back[-1].prev_cursor, page_size))
    return [
        ([_snapshot(row, related) for row in p.rows], p.start, p.total, p.next_cursor, p.prev_cursor)
        for p in pages + back
    ]


KINDS: dict[str, Any] = {
    "deals": (Deal, deal_list, deal_page, DealFilters, DEAL_SORTS, DEAL_PAGE_RELATED, DEAL_PAGE_FIELDS),
    "persons": (Person, person_list, person_page, PersonFilters, PERSON_SORTS, PERSON_PAGE_RELATED, PERSON_PAGE_FIELDS),
    "companies": (
        Company,
        company_list,
        company_page,
        RecordFilters,
        COMPANY_SORTS,
        COMPANY_PAGE_RELATED,
        COMPANY_PAGE_FIELDS,
    ),
}


def _compare(
    world: dict[str, Any],
    kind: str,
    *,
    slug: str,
    given: dict[str, Any],
    sort: str,
    descending: bool,
    page_size: int,
    count_limit: int,
    linked: str,
) -> None:
    model, list_of, page_of, filters_type, sorts, related, fields = KINDS[kind]
    w = world[slug]
    account = w["account"]
    filters = filters_type(**given)
    ordering = Ordering(sorts[sort], descending=descending)
    known = None
    if linked == "known":
        known = {"owner": w["users"], "source": w["source_objects"]}
    chosen_related, chosen_fields = (("source",), None) if linked == "api" else (related, fields)

    def plain(cursor: str | None, size: int) -> Any:
        qs = linked_query(
            list_of(account=account, filters=filters), related=chosen_related, fields=chosen_fields, known=known
        )
        return record_page(
            qs,
            filters=filters,
            ordering=ordering,
            cursor=cursor,
            page_size=size,
            count_limit=count_limit,
            account=account,
            known=known,
            fields=chosen_fields,
        )

    def shaped(cursor: str | None, size: int) -> Any:
        return page_of(
            account=account,
            filters=filters,
            ordering=ordering,
            cursor=cursor,
            page_size=size,
            count_limit=count_limit,
            related=chosen_related,
            fields=chosen_fields,
            known=known,
        )

    query = list_query(model, list_of, account=account, filters=filters, related=related, fields=fields, known=known)
    # A search too: its words are parameters; only a text nothing can match is the plain (empty) queryset.
    assert isinstance(query, ShapedQuery) == (not text_problem(filters.q))
    with CaptureQueriesContext(connection) as plain_sql:
        expected = _walk(plain, chosen_related, page_size)
    _, plain_before = shape_counts()
    with CaptureQueriesContext(connection) as shaped_sql:
        found = _walk(shaped, chosen_related, page_size)
    # Compiled, unless a filter is set but overruled by another (its value is in no SQL, so the shape runs plain).
    overruled = (filters.unowned and filters.owner) or (filters.no_source and filters.source)
    if not overruled:
        assert shape_counts()[1] == plain_before
    # The same statements: a shape that served another's SQL (a cache entry shared by two shapes) differs here.
    assert [q["sql"] for q in shaped_sql.captured_queries] == [q["sql"] for q in plain_sql.captured_queries]
    assert found == expected


def _filters(kind: str, w: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    midnights = st.sampled_from(DAYS).map(lambda d: dt.datetime.combine(d, dt.time(), tzinfo=WARSAW))
    common: dict[str, Any] = {
        "owner": st.sampled_from(w["owners"]),
        "unowned": st.just(True),
        "source": st.sampled_from(w["sources"]),
        "no_source": st.just(True),
        "campaign": st.sampled_from(w["campaigns"]),
        "created_from": midnights,
        # An instant in UTC that is no local midnight: the tallies cannot count it, the records do.
        "created_before": st.one_of(midnights, st.just(dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.UTC))),
    }
    if kind in ("deals", "persons"):
        common["company"] = st.sampled_from(w["companies"])
    if kind == "deals":
        common |= {
            "status": st.sampled_from([DealStatus.OPEN, DealStatus.WON, DealStatus.LOST]),
            "person": st.sampled_from(w["persons"]),
            "closed_from": st.sampled_from(DAYS),
            "closed_to": st.sampled_from(DAYS),
        }
    # Searches of every kind of word (records/search.py): with a trigram (LIKE, "acm%" with an escaped %), short ones
    # at a word's start (the index's regular expression on PostgreSQL, `hw_word_start` on SQLite), one without a
    # letter (unindexed), several words, accents folded, and one nothing can match (a control character).
    common["q"] = st.sampled_from(SEARCHES)
    return st.fixed_dictionaries({}, optional=common)


@pytest.mark.parametrize("kind", ["deals", "persons", "companies"])
@given(data=st.data())
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_filter_sort_and_direction_reads_what_the_plain_queryset_reads(world, kind, data):
    sorts = KINDS[kind][4]
    slug = data.draw(st.sampled_from(sorted(world)))
    _compare(
        world,
        kind,
        slug=slug,
        given=data.draw(_filters(kind, world[slug])),
        sort=data.draw(st.sampled_from(sorted(sorts))),
        descending=data.draw(st.booleans()),
        page_size=data.draw(st.integers(min_value=2, max_value=9)),
        count_limit=data.draw(st.sampled_from([0, 3, 1000])),
        linked=data.draw(st.sampled_from(["page", "known", "api"])),
    )


@pytest.mark.parametrize(
    ("given", "sort", "descending"),
    [
        ({}, "closed", True),
        ({}, "closed", False),
        ({"status": DealStatus.WON, "closed_from": DAYS[1], "closed_to": DAYS[5]}, "closed", True),
        ({"source": None, "no_source": True, "status": DealStatus.OPEN}, "value", True),
        ({"created_from": dt.datetime(2026, 3, 1, tzinfo=WARSAW)}, "status", False),
        ({"owner": None, "unowned": True}, "name", False),
    ],
)
def test_the_table_of_cases_the_pages_ask_most(world, given, sort, descending):
    for slug in world:
        for page_size in (1, 4, 25):
            _compare(
                world,
                "deals",
                slug=slug,
                given=given,
                sort=sort,
                descending=descending,
                page_size=page_size,
                count_limit=1000,
                linked="page",
            )


SEARCHES = ["deal", "de", "a", "deal b", "acm%", "no", "KOW", "łó", "ćm", "--", "x_y", "jan nowak", "\x01"]


@pytest.mark.parametrize("q", SEARCHES)
@pytest.mark.parametrize("kind", ["deals", "persons", "companies"])
def test_every_kind_of_search_reads_what_the_plain_queryset_reads(world, kind, q):
    for count_limit, sort, descending in ((1000, "created", True), (3, "name", False), (0, "created", False)):
        _compare(
            world,
            kind,
            slug="alpha",
            given={"q": q},
            sort=sort,
            descending=descending,
            page_size=3,
            count_limit=count_limit,
            linked="page",
        )


def test_a_search_is_a_shape_whose_words_are_its_parameters(world):
    """Two searches whose words are matched the same way share one compiled shape, each with its own rows; the
    words' values (the patterns the statements hold) are parameters, the search's text is not."""
    account = world["alpha"]["account"]

    def query(q: str) -> Any:
        return list_query(
            Person, person_list, account=account, filters=PersonFilters(q=q), related=(), fields=None, known=None
        )

    first, second = query("kowalski an"), query("nowak ja")
    assert isinstance(first, ShapedQuery)
    assert first.shape == second.shape
    assert "q" not in first.values
    assert sorted(first.values) == ["account", "word0", "word1"]
    assert first.values["word0"] != second.values["word0"]
    ordering = Ordering(PERSON_SORTS["name"])
    read = {}
    for q in ("kowalski an", "nowak ja"):
        compiled_before, plain_before = shape_counts()
        read[q] = person_page(
            account=account,
            filters=PersonFilters(q=q),
            ordering=ordering,
            cursor=None,
            page_size=50,
            count_limit=1000,
        )
        compiled_after, plain_after = shape_counts()
        assert plain_after == plain_before
        if q == "nowak ja":  # the first search's shapes serve it: nothing compiled anew
            assert compiled_after == compiled_before
    expected = {q: sorted(p.pk for p in person_list(account=account, filters=PersonFilters(q=q))) for q in read}
    assert {q: sorted(p.pk for p in page.rows) for q, page in read.items()} == expected
    assert expected["kowalski an"]
    assert expected["nowak ja"]
    assert not set(expected["kowalski an"]) & set(expected["nowak ja"])


def test_one_shape_serves_every_account_with_its_own_rows(world):
    """The account is a parameter of every shape, never a constant of its SQL."""
    pages = {}
    for slug, w in world.items():
        page = deal_page(
            account=w["account"],
            filters=DealFilters(),
            ordering=Ordering(("created_at",), descending=True),
            cursor=None,
            page_size=100,
            count_limit=1000,
        )
        assert {deal.account_id for deal in page.rows} == {w["account"].pk}
        assert page.total == Deal.objects.for_account(w["account"]).count() == len(page.rows)
        pages[slug] = {deal.pk for deal in page.rows}
    assert not pages["alpha"] & pages["bravo"]
