"""Writes about companies. The UI and the API call exactly these functions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import regon

from headwater.campaigns.models import Campaign
from headwater.companies.models import Company
from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.core.types import UNSET, Unset
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

COMPANY_TEXT_FIELDS = ("tax_id", "website", "email", "phone", "street", "postal_code", "city", "country")
COMPANY_EDITABLE = ("name", *COMPANY_TEXT_FIELDS, "regon", "owner", "notes", "source", "campaign")


def clean_regon(value: Any) -> str:
    """A REGON (the Polish business register number) as its 9 or 14 digits, checked with python-stdnum; spaces and
    dashes are taken off; empty is none. ValidationFailed names the field and says what is wrong."""
    text = clean_line(value, "regon")
    if not text:
        return ""
    compact = regon.compact(text)
    if not (compact.isascii() and compact.isdigit()) or len(compact) not in (9, 14):
        message = _("A REGON has 9 or 14 digits; “%(value)s” has %(count)s.") % {
            "value": text,
            "count": sum(ch.isdigit() for ch in compact),
        }
        raise ValidationFailed(message, fields={"regon": [message]})
    try:
        return str(regon.validate(compact))
    except StdnumError:
        message = _("“%(value)s” is not a valid REGON: its check digit does not match.") % {"value": text}
        raise ValidationFailed(message, fields={"regon": [message]}) from None


def company_in_account(*, account: Account, company: Any, current_id: int | None = None) -> Company | None:
    """The company a person or deal links to (an instance, an id or None), of this account; share-locked when it is
    not the record's `current_id` (see records.services.linked_in_account)."""
    return linked_in_account(
        Company,
        account=account,
        value=company,
        field="company",
        message=_("Choose a company of this account."),
        share_lock=newly_linked(company, current_id),
    )


def _name(value: Any) -> str:
    return clean_required_name(value, "name", _("Enter the company name."))


@transaction.atomic
def company_create(
    *,
    account: Account,
    user: User | None,
    name: str,
    tax_id: str = "",
    regon: str = "",
    website: str = "",
    email: str = "",
    phone: str = "",
    street: str = "",
    postal_code: str = "",
    city: str = "",
    country: str = "",
    owner: User | int | None = None,
    notes: str = "",
    source: Source | int | Unset | None = UNSET,
    source_how: HowChanged = HowChanged.TYPED,
    campaign: Campaign | HeldCampaign | int | None = None,
    campaign_how: HowChanged | None = None,
    origin: RecordOrigin = RecordOrigin.HAND,
    origin_import_id: int | None = None,
) -> Company:
    """A new company. `source=UNSET` applies the account's default rule (a company has no contact: none)."""
    texts = {"tax_id": tax_id, "website": website, "email": email, "phone": phone, "street": street}
    texts |= {"postal_code": postal_code, "city": city, "country": country}
    company = Company(
        account=account,
        name=_name(name),
        **{field: clean_line(value, field) for field, value in texts.items()},
        regon=clean_regon(regon),
        owner=owner_in_account(account=account, owner=owner),
        notes=clean_notes(notes),
        created_by=user,
    )
    picked, how = source_for_new_record(
        account=account, source=source, how=source_how, company=None, person=None, record=company, campaign=campaign
    )
    return save_new_record(
        company,
        account=account,
        user=user,
        source=picked,
        how=how,
        origin=origin,
        origin_import_id=origin_import_id,
        campaign_how=campaign_how,
    )


@transaction.atomic
def company_update(
    *,
    account: Account,
    user: User | None,
    company: Company,
    version: int | None,
    source_how: HowChanged = HowChanged.TYPED,
    **changes: Any,
) -> Company:
    """Change the fields named in `changes`; a stale `version` raises Conflict and changes nothing (None: no check)."""
    check_change_keys(changes, COMPANY_EDITABLE, "company")
    locked = lock_for_update(Company, account=account, record=company, version=version, changes=changes)
    old_name = locked.name
    if "name" in changes:
        locked.name = _name(changes["name"])
    for field in COMPANY_TEXT_FIELDS:
        if field in changes:
            setattr(locked, field, clean_line(changes[field], field))
    if "regon" in changes:
        locked.regon = clean_regon(changes["regon"])
    if "notes" in changes:
        locked.notes = clean_notes(changes["notes"])
    if "owner" in changes:
        locked.owner = owner_in_account(account=account, owner=changes["owner"])
    apply_record_changes(locked, account=account, user=user, changes=changes, how=source_how)
    save_updated_record(locked)
    if locked.name != old_name:
        # Persons and deals show the company's name in their search keys.
        refresh_linked_keys(account=account, target=locked)
    return locked


@transaction.atomic
def company_delete(*, account: Account, user: User | None, company: Company, version: int | None = None) -> None:
    """Delete the company; its persons and deals stay, without a company (their version is bumped).

    A `version` that is stale raises Conflict and deletes nothing (an API DELETE with If-Match).
    """
    record_delete(Company, account=account, record=company, version=version)
