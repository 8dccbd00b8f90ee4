"""The record tables' indexes and planner statistics, as the migrations leave them (docs/performance.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.deals.selectors import DealFilters, deal_list
from headwater.persons.models import Person

pytestmark = pytest.mark.django_db

RECORDS = (Company, Person, Deal)


@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m.__name__)
def test_every_secondary_index_leads_with_the_account(model):
    """A shared table's index that does not lead with account_id makes a big account's neighbours pay for it."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    indexes = {
        name: info["columns"]
        for name, info in constraints.items()
        if info["index"] and not info["primary_key"] and info["columns"] != ["search_key"]
    }
    assert indexes
    assert {name: cols for name, cols in indexes.items() if cols[0] != "account_id"} == {}


@pytest.mark.parametrize(
    ("model", "columns"),
    [
        # The close day after the creation instant is not for the sort: a close-day filter is tested in the index.
        (Deal, ["account_id", "created_at", "closed_at"]),
        (Deal, ["account_id", "owner_id", "created_at"]),
        (Deal, ["account_id", "source_id", "created_at"]),
        (Deal, ["account_id", "status", "created_at"]),
        (Person, ["account_id", "created_at"]),
        (Person, ["account_id", "owner_id", "last_name"]),
        (Person, ["account_id", "source_id", "last_name"]),
        (Company, ["account_id", "created_at"]),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else "-".join(v[1:]),
)
def test_list_indexes_end_where_the_sort_needs_no_more(model, columns):
    """No trailing id where it cannot serve the sort: 8 bytes an entry kept the indexes under twice the table."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    assert columns in [info["columns"] for info in constraints.values() if info["index"]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="extended statistics are PostgreSQL's")
@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("deals_deal", "owner_id"),
        ("deals_deal", "source_id"),
        ("deals_deal", "company_id"),
        ("deals_deal", "person_id"),
        ("persons_person", "owner_id"),
        ("persons_person", "source_id"),
        ("persons_person", "company_id"),
        ("companies_company", "owner_id"),
        ("companies_company", "source_id"),
        # And the id: a search's page read among its matching ids (pagination.keyset_page's pin).
        ("deals_deal", "id"),
        ("persons_person", "id"),
        ("companies_company", "id"),
    ],
)
def test_the_planner_knows_a_foreign_key_determines_the_account(table, column):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.stxkind, array_agg(a.attname::text ORDER BY a.attname)
            FROM pg_statistic_ext s
            JOIN pg_class c ON c.oid = s.stxrelid
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(s.stxkeys)
            WHERE c.relname = %s
            GROUP BY s.oid, s.stxkind
            """,
            [table],
        )
        found = [(list(kind), sorted(columns)) for kind, columns in cursor.fetchall()]
    assert (["f"], sorted(["account_id", column])) in found


def test_the_close_day_index_is_in_the_close_day_sort_order():
    """`-closed` is `closed_at DESC NULLS LAST, id DESC` (open deals last, core/pagination.py): the index must hold
    that order to serve it, or PostgreSQL sorts every deal of the account (its default puts empty values first
    descending). SQLite keeps empty values lowest already and takes no NULLS clause in an index."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'deal_account_close_order_idx'")
            (definition,) = cursor.fetchone()
            assert definition.endswith("(account_id, closed_at DESC NULLS LAST, id DESC)")
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'deal_account_close_order_idx'")
            (definition,) = cursor.fetchone()
            assert definition.endswith('("account_id", "closed_at" DESC, "id" DESC)')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's")
def test_a_close_day_filter_on_the_creation_sort_is_tested_in_the_index(tenant):
    """ "Closed in a month, newest created": the creation index is walked backwards and the close day is an index
    condition, not a filter on each row read from the table (30,488 rows for 26 at a million deals)."""
    qs = deal_list(
        account=tenant.account,
        filters=DealFilters(closed_from=dt.date(2026, 9, 1), closed_to=dt.date(2026, 9, 30)),
    ).order_by("-created_at", "-id")[:26]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # A small table would rather be read whole or sorted: leave the planner only ordered index reads.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "deal_account_created_close_idx" in plan, plan
    condition = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "closed_at >=" in condition, plan
    assert "Filter" not in plan, plan
