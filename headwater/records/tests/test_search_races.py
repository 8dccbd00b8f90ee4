"""Search keys under concurrent writes on PostgreSQL: a record linked to a company or person while it is renamed
must end up with the new name in its key, and nobody deadlocks. SQLite serialises writers, so only PostgreSQL
can race. A few rounds in the normal suite, 100 with HEADWATER_LONG=1."""

from __future__ import annotations

from typing import Any

from headwater.companies.models import Company
from headwater.companies.services import company_create, company_update
from headwater.deals.models import Deal
from headwater.deals.services import deal_create, deal_update
from headwater.persons.models import Person
from headwater.persons.services import person_create, person_update
from headwater.records.services import search_key_of
from headwater.testing.races import POSTGRES_RACE, race, rounds

pytestmark = POSTGRES_RACE

ROUNDS = rounds(100)


def assert_keys_current(account: Any) -> None:
    for model in (Company, Person, Deal):
        for record in model.objects.for_account(account):
            assert record.search_key == search_key_of(record), (model.__name__, record.pk, record.search_key)


def test_linking_while_the_contact_is_renamed(tenant):
    account, user = tenant.account, tenant.member
    for round_ in range(ROUNDS):
        company = company_create(account=account, user=user, name=f"Old company {round_}")
        person = person_create(account=account, user=user, last_name=f"Old person {round_}")
        deal = deal_create(account=account, user=user, name=f"Deal {round_}")
        results = race(
            lambda c=company, r=round_: company_update(
                account=account, user=user, company=c, version=1, name=f"New company {r}"
            ),
            lambda p=person, r=round_: person_update(
                account=account, user=user, person=p, version=1, last_name=f"New person {r}"
            ),
            # Moves into the renamed company while it is renamed: locks itself, then the company.
            lambda p=person, c=company: person_update(account=account, user=user, person=p, version=1, company=c.pk),
            # A new deal for both contacts: locks the company, then the person (the other order from above).
            lambda c=company, p=person, r=round_: deal_create(
                account=account, user=user, name=f"New deal {r}", company=c.pk, person=p.pk
            ),
            lambda d=deal, c=company, p=person: deal_update(
                account=account, user=user, deal=d, version=1, company=c.pk, person=p.pk
            ),
        )
        # The two person updates share version 1: one of them may lose with a Conflict; nothing else may fail.
        failures = [r for r in results if isinstance(r, Exception)]
        assert all(type(f).__name__ == "Conflict" for f in failures), results
        assert len(failures) == 1, results
        assert_keys_current(account)
