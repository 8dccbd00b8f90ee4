"""Writes about persons. The UI and the API call exactly these functions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from headwater.campaigns.models import Campaign
from headwater.companies.models import Company
from headwater.companies.services import company_in_account
from headwater.core.models import Account
from headwater.core.text import clean_name
from headwater.core.types import UNSET, Unset
from headwater.persons.models import Person
from headwater.records.models import RecordOrigin
from headwater.records.services import (
    HeldCampaign,
    apply_record_changes,
    check_change_keys,
    clean_line,
    clean_notes,
    clean_required_name,
    linked_in_account,
    lock_for_update,
    newly_linked,
    owner_in_account,
    record_delete,
    refresh_linked_keys,
    save_new_record,
    save_updated_record,
    source_for_new_record,
)
from headwater.sources.models import HowChanged, Source
from headwater.users.models import User

PERSON_TEXT_FIELDS = ("email", "phone", "position")
PERSON_EDITABLE = ("first_name", "last_name", *PERSON_TEXT_FIELDS, "company", "owner", "notes", "source", "campaign")


def person_in_account(*, account: Account, person: Any, current_id: int | None = None) -> Person | None:
    """The person a deal links to (an instance, an id or None), of this account; share-locked when it is not the
    record's `current_id` (see records.services.linked_in_account)."""
    return linked_in_account(
        Person,
        account=account,
        value=person,
        field="person",
        message=_("Choose a person of this account."),
        share_lock=newly_linked(person, current_id),
    )


def _last_name(value: Any) -> str:
    return clean_required_name(value, "last_name", _("Enter the last name."))


@transaction.atomic
def person_create(
    *,
    account: Account,
    user: User | None,
    first_name: str = "",
    last_name: str,
    email: str = "",
    phone: str = "",
    position: str = "",
    company: Company | int | None = None,
    owner: User | int | None = None,
    notes: str = "",
    source: Source | int | Unset | None = UNSET,
    source_how: HowChanged = HowChanged.TYPED,
    campaign: Campaign | HeldCampaign | int | None = None,
    campaign_how: HowChanged | None = None,
    origin: RecordOrigin = RecordOrigin.HAND,
    origin_import_id: int | None = None,
) -> Person:
    """A new person. `source=UNSET` applies the default rule: the company's source when the option is on."""
    linked_company = company_in_account(account=account, company=company)
    person = Person(
        account=account,
        first_name=clean_name(first_name, field="first_name"),
        last_name=_last_name(last_name),
        email=clean_line(email, "email"),
        phone=clean_line(phone, "phone"),
        position=clean_line(position, "position"),
        company=linked_company,
        owner=owner_in_account(account=account, owner=owner),
        notes=clean_notes(notes),
        created_by=user,
    )
    picked, how = source_for_new_record(
        account=account,
        source=source,
        how=source_how,
        company=linked_company,
        person=None,
        record=person,
        campaign=campaign,
    )
    return save_new_record(
        person,
        account=account,
        user=user,
        source=picked,
        how=how,
        origin=origin,
        origin_import_id=origin_import_id,
        campaign_how=campaign_how,
    )


@transaction.atomic
def person_update(
    *,
    account: Account,
    user: User | None,
    person: Person,
    version: int | None,
    source_how: HowChanged = HowChanged.TYPED,
    **changes: Any,
) -> Person:
    """Change the fields named in `changes`. Changing the company never re-applies the default (not retroactive)."""
    check_change_keys(changes, PERSON_EDITABLE, "person")
    locked = lock_for_update(Person, account=account, record=person, version=version, changes=changes)
    old_name = locked.full_name
    if "first_name" in changes:
        locked.first_name = clean_name(changes["first_name"], field="first_name")
    if "last_name" in changes:
        locked.last_name = _last_name(changes["last_name"])
    for field in PERSON_TEXT_FIELDS:
        if field in changes:
            setattr(locked, field, clean_line(changes[field], field))
    if "notes" in changes:
        locked.notes = clean_notes(changes["notes"])
    if "company" in changes:
        locked.company = company_in_account(account=account, company=changes["company"], current_id=locked.company_id)
    if "owner" in changes:
        locked.owner = owner_in_account(account=account, owner=changes["owner"])
    apply_record_changes(locked, account=account, user=user, changes=changes, how=source_how)
    save_updated_record(locked)
    if locked.full_name != old_name:
        # Deals show the person's name in their search keys.
        refresh_linked_keys(account=account, target=locked)
    return locked


@transaction.atomic
def person_delete(*, account: Account, user: User | None, person: Person, version: int | None = None) -> None:
    """Delete the person; their deals stay, without a person (their version is bumped); a stale `version`: Conflict."""
    record_delete(Person, account=account, record=person, version=version)
