"""`tallies_bulk_insert`: a bulk insert (an import's run) with SQLite's row triggers replaced by grouped statements
per id range keeps every tally exact, in the cases the row triggers handle one row at a time: contacts already with
deals crossing to "won", several deals of one contact in one range, and deals pointing at contacts inserted after
them (the foreign keys are deferred). On PostgreSQL the statement triggers do it: the same checks hold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.stats import campaign_tally_sql, close_tally_sql, cohort_sql, funnel_sql, tally_sql
from headwater.stats.services import tallies_bulk_insert
from headwater.stats.tally_drift import tally_drift
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

TALLY_TABLES = (tally_sql.TABLE, close_tally_sql.TABLE, campaign_tally_sql.TABLE, cohort_sql.TABLE, funnel_sql.TABLE)
NOON = dt.datetime(2025, 3, 31, 22, 30, tzinfo=dt.UTC)  # 1 April in Warsaw: the local day matters
JANUARY = dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)


def _deal(tenant, *, created_at: dt.datetime = NOON, **fields) -> Deal:
    return Deal(account=tenant.account, value=Decimal("10"), created_at=created_at, **fields)


def _funnel_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {funnel_sql.TABLE}")  # noqa: S608 — our table
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_bulk_insert_of_deals_keeps_the_funnel_exact(tenant):
    tenant.account.sources_enabled = True
    tenant.account.save()
    ads = SourceFactory(account=tenant.account, name="Ads")
    with_deal = CompanyFactory(account=tenant.account, source=ads, created_at=NOON)
    person = PersonFactory(account=tenant.account, company=with_deal, source=ads, created_at=NOON)
    DealFactory(account=tenant.account, company=with_deal, person=person, status="open")
    without = CompanyFactory(account=tenant.account, created_at=NOON)
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    with transaction.atomic(), tallies_bulk_insert(table="deals_deal") as tally:
        created = Deal.unscoped.bulk_create(
            [
                _deal(tenant, name="A", company=with_deal, person=person, status="won", closed_at=dt.date(2025, 4, 2)),
                _deal(tenant, name="B", company=with_deal, person=person, status="won", closed_at=dt.date(2025, 4, 3)),
                _deal(tenant, name="C", company=without, status="open"),
                _deal(tenant, name="D", company=without, status="won", closed_at=dt.date(2025, 4, 4)),
                _deal(tenant, name="E", status="lost", closed_at=dt.date(2025, 4, 5)),
            ]
        )
        tally(min(d.pk for d in created), max(d.pk for d in created))
    assert _funnel_rows() == 3  # both companies and the person have deals
    assert tally_drift(account_ids=[tenant.account.pk]) == {}


class _Undone(Exception):
    pass


def _tallies() -> dict[str, list[tuple[object, ...]]]:
    """Every tally table's rows (without their ids), sorted."""
    found = {}
    with connection.cursor() as cursor:
        for table in TALLY_TABLES:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 — our tables
            names = [column[0] for column in cursor.description]
            rows = [tuple(v for name, v in zip(names, row, strict=True) if name != "id") for row in cursor.fetchall()]
            found[table] = sorted(rows, key=repr)
    return found


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", [Person, Company])
def test_a_bulk_insert_of_contacts_that_deals_already_point_at_tallies_as_row_triggers_do(tenant, model):
    """A deal written before its contact (deferred foreign keys) counts in the cohort of "no such contact" until the
    contact comes; the contact's insert moves it to the contact's creation day: in bulk as row by row (the tallies
    compared with those the row triggers write, the same writes undone in between)."""
    link = "person_id" if model is Person else "company_id"
    first = (model.unscoped.order_by("-id").values_list("id", flat=True).first() or 0) + 100
    names = {"last_name": "Nowak"} if model is Person else {"name": "Acme"}
    found = []
    for bulk in (False, True):
        try:
            with transaction.atomic():
                Deal.unscoped.bulk_create(
                    [
                        _deal(
                            tenant,
                            name=f"D{i}",
                            status="won",
                            created_at=JANUARY,
                            closed_at=dt.date(2025, 4, 2),
                            **{link: first + i % 2},
                        )
                        for i in range(3)
                    ]
                )
                contacts = [model(id=first + i, account=tenant.account, created_at=NOON, **names) for i in range(3)]
                if bulk:
                    with tallies_bulk_insert(table=model._meta.db_table) as tally:
                        model.unscoped.bulk_create(contacts)
                        tally(first, first + 2)
                else:
                    model.unscoped.bulk_create(contacts)
                found.append(_tallies())
                raise _Undone
        except _Undone:
            pass
    assert found[0] == found[1]
    # The deals' cohort: their contacts' creation month (April), no longer their own (January).
    assert [(row[0], row[5]) for row in found[1][cohort_sql.TABLE] if row[5]] == [(dt.date(2025, 4, 1), 3)]
