"""The lower layers find the record kinds through Django's metadata, never by importing them (docs/architecture.md).

What they find is pinned here: the keys are stored (the catalogue history's details) and answered (the API's
`usage` and a removed member's `records`), and the order decides which rows are locked first.
"""

from __future__ import annotations

from headwater.companies.models import Company
from headwater.core.models import models_pointing_at
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.records.services import dependent_links
from headwater.sources.models import RecordType, Source, source_holders
from headwater.spend.models import SpendEntry
from headwater.users.models import User
from headwater.users.selectors import owned_models


def test_the_records_that_carry_a_source_in_the_keys_of_their_usage_counts():
    assert source_holders() == [
        (RecordType.COMPANY, "companies", Company),
        (RecordType.PERSON, "persons", Person),
        (RecordType.DEAL, "deals", Deal),
    ]


def test_the_records_a_member_owns_in_the_keys_of_their_counts():
    assert owned_models() == [("companies", Company), ("persons", Person), ("deals", Deal)]


def test_only_the_named_foreign_key_counts():
    # A record's (or a spend entry's) creator and a source change's user point at the user too, but own nothing.
    assert models_pointing_at(User, field="created_by") == [SpendEntry, Company, Person, Deal]
    assert models_pointing_at(Source, field="owner") == []


def test_the_kinds_linking_to_a_record_persons_before_deals():
    # Locks are taken in this order (unlinking, rewriting keys after a rename): always the same, so two never deadlock.
    assert dependent_links(Company) == [(Person, "company"), (Deal, "company")]
    assert dependent_links(Person) == [(Deal, "person")]
    assert dependent_links(Deal) == []
