"""Writes about deals. The UI and the API call exactly these functions."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from headwater.campaigns.models import Campaign
from headwater.companies.models import Company
from headwater.companies.services import company_in_account
from headwater.core.dates import account_date_of, account_today
from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.core.types import UNSET, Unset
from headwater.deals.models import Deal, DealStatus
from headwater.persons.models import Person
from headwater.persons.services import person_in_account
from headwater.records.models import RecordOrigin
from headwater.records.services import (
    HeldCampaign,
    apply_record_changes,
    check_change_keys,
    clean_line,
    clean_notes,
    clean_required_name,
    lock_for_update,
    owner_in_account,
    record_delete,
    save_new_record,
    save_updated_record,
    source_for_new_record,
)
from headwater.sources.models import HowChanged, Source
from headwater.users.models import User

DEAL_EDITABLE = (
    "name",
    "value",
    "currency",
    "status",
    "expected_close_date",
    "closed_at",
    "lost_reason",
    "company",
    "person",
    "owner",
    "notes",
    "source",
    "campaign",
)
CLOSED_STATUSES = (DealStatus.WON, DealStatus.LOST)
_CURRENCY = re.compile(r"[A-Z]{3}")
_CENT = Decimal("0.01")
# Deal.value is NUMERIC(14, 2): twelve digits before the decimal point.
_VALUE_LIMIT = Decimal(10) ** 12
# Expected close dates outside these years are typing mistakes (0001-01-01, 9999-12-31), not plans.
EXPECTED_CLOSE_FIRST = date(1900, 1, 1)
EXPECTED_CLOSE_LAST = date(2100, 12, 31)


def _name(value: Any) -> str:
    return clean_required_name(value, "name", _("Enter the deal name."))


def clean_deal_value(value: Any) -> Decimal:
    """A money amount: a Decimal (or an int / a decimal string), >= 0, at most 2 decimal places; never rounded."""
    if isinstance(value, bool | float):
        # A float has already lost the exact amount the user meant.
        raise ValidationFailed.on("value", _("Enter the value as a decimal number, e.g. 1250.50."))
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationFailed.on("value", _("Enter the value as a decimal number, e.g. 1250.50.")) from exc
    if not amount.is_finite():
        raise ValidationFailed.on("value", _("Enter the value as a decimal number, e.g. 1250.50."))
    if amount < 0:
        raise ValidationFailed.on("value", _("The value cannot be negative."))
    if amount >= _VALUE_LIMIT:
        raise ValidationFailed.on("value", _("The value is too large."))
    if amount != amount.quantize(_CENT):
        raise ValidationFailed.on("value", _("Enter the value with at most 2 decimal places."))
    return amount.quantize(_CENT)


def clean_currency(value: Any) -> str:
    code = clean_line(value, "currency").upper()
    if not _CURRENCY.fullmatch(code):
        raise ValidationFailed.on("currency", _("Enter a three-letter currency code, e.g. PLN or EUR."))
    return code


def _clean_status(value: Any) -> DealStatus:
    if value not in DealStatus.values:
        raise ValidationFailed.on("status", _("Choose open, won or lost."))
    return DealStatus(value)


def _clean_date(value: Any, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationFailed.on(field, _("Enter a date."))
    day: date = value
    return day


def _day(value: date) -> str:
    """A day as the pages show it in the current language (see docs/architecture.md, "Dates")."""
    return date_format(value, "SHORT_DATE_FORMAT")


def expected_close_date_problem(day: date | None) -> str | None:
    """Why an expected close date cannot be stored, or None. A fixed window, not one relative to today: a date
    that was accepted must still pass when the deal is edited years later for another reason."""
    if day is not None and not EXPECTED_CLOSE_FIRST <= day <= EXPECTED_CLOSE_LAST:
        return _("Enter an expected close date between %(first)s and %(last)s.") % {
            "first": _day(EXPECTED_CLOSE_FIRST),
            "last": _day(EXPECTED_CLOSE_LAST),
        }
    return None


def _clean_expected_close_date(value: Any, *, stored: date | None = None) -> date | None:
    day = _clean_date(value, "expected_close_date")
    problem = expected_close_date_problem(day) if day != stored else None
    if problem:
        raise ValidationFailed.on("expected_close_date", problem)
    return day


def _settle_lost_reason(deal: Deal, *, lost_reason: str | Unset, errors: dict[str, list[str]]) -> None:
    if lost_reason is not UNSET:
        if lost_reason and deal.status != DealStatus.LOST:
            errors["lost_reason"] = [_("Only a lost deal has a lost reason; clear it or mark the deal as lost.")]
        else:
            deal.lost_reason = lost_reason
    elif deal.status != DealStatus.LOST:
        # The reason described the old, lost state; a deal that is no longer lost has none.
        deal.lost_reason = ""


def _settle_closed_at(
    deal: Deal,
    *,
    account: Account,
    previous_status: str | None,
    closed_at: date | Unset | None,
    errors: dict[str, list[str]],
) -> None:
    closes_now = deal.status in CLOSED_STATUSES and previous_status not in CLOSED_STATUSES
    if deal.status == DealStatus.OPEN:
        if closed_at is not UNSET and closed_at is not None:
            errors["closed_at"] = [_("An open deal has no closing date; clear it or mark the deal as won or lost.")]
        deal.closed_at = None
        return
    stored = deal.closed_at
    today = account_today(account)
    if closed_at is not UNSET and closed_at is not None:
        deal.closed_at = closed_at
    elif closes_now or (closed_at is UNSET and deal.closed_at is None):
        deal.closed_at = today
    elif closed_at is None:
        errors["closed_at"] = [_("Enter the date the deal was closed.")]
        return
    assert deal.closed_at is not None  # noqa: S101 — every branch above set it or returned
    if deal.closed_at == stored and not closes_now:
        # Unchanged: a deal saved before these rules existed stays editable for its other fields.
        return
    created_on = account_date_of(account, deal.created_at)
    if deal.closed_at < created_on:
        errors["closed_at"] = [
            _("The closing date cannot be before the day the deal was created (%(day)s).") % {"day": _day(created_on)}
        ]
    elif deal.closed_at > today:
        # A deal is won or lost once it happened; a future day would count in periods that have not come yet.
        errors["closed_at"] = [
            _("The closing date cannot be in the future (today is %(today)s).") % {"today": _day(today)}
        ]


def _settle_status(
    deal: Deal,
    *,
    account: Account,
    previous_status: str | None,
    closed_at: date | Unset | None,
    lost_reason: str | Unset,
) -> None:
    """Apply the closing rules after `deal.status` got its new value.

    Won/lost: `closed_at` defaults to the account's today when the deal closes now; open: no date, no reason.
    A value the caller gave that contradicts the status is an error, never dropped.
    """
    errors: dict[str, list[str]] = {}
    _settle_lost_reason(deal, lost_reason=lost_reason, errors=errors)
    _settle_closed_at(deal, account=account, previous_status=previous_status, closed_at=closed_at, errors=errors)
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)


@transaction.atomic
def deal_create(
    *,
    account: Account,
    user: User | None,
    name: str,
    value: Decimal | int | str = Decimal("0"),
    currency: str | None = None,
    status: str = DealStatus.OPEN,
    expected_close_date: date | None = None,
    closed_at: date | None = None,
    lost_reason: str = "",
    company: Company | int | None = None,
    person: Person | int | None = None,
    owner: User | int | None = None,
    notes: str = "",
    source: Source | int | Unset | None = UNSET,
    source_how: HowChanged = HowChanged.TYPED,
    campaign: Campaign | HeldCampaign | int | None = None,
    campaign_how: HowChanged | None = None,
    origin: RecordOrigin = RecordOrigin.HAND,
    origin_import_id: int | None = None,
) -> Deal:
    """A new deal. `source=UNSET` applies the default rule: the person's source, else the company's."""
    linked_company = company_in_account(account=account, company=company)
    linked_person = person_in_account(account=account, person=person)
    deal = Deal(
        account=account,
        name=_name(name),
        value=clean_deal_value(value),
        currency=account.currency if currency is None else clean_currency(currency),
        status=_clean_status(status),
        expected_close_date=_clean_expected_close_date(expected_close_date),
        company=linked_company,
        person=linked_person,
        owner=owner_in_account(account=account, owner=owner),
        notes=clean_notes(notes),
        created_by=user,
        created_at=timezone.now(),
    )
    deal.updated_at = deal.created_at
    _settle_status(
        deal,
        account=account,
        previous_status=None,
        closed_at=_clean_date(closed_at, "closed_at"),
        lost_reason=clean_line(lost_reason, "lost_reason"),
    )
    picked, how = source_for_new_record(
        account=account,
        source=source,
        how=source_how,
        company=linked_company,
        person=linked_person,
        record=deal,
        campaign=campaign,
    )
    return save_new_record(
        deal,
        account=account,
        user=user,
        source=picked,
        how=how,
        origin=origin,
        origin_import_id=origin_import_id,
        campaign_how=campaign_how,
    )


@transaction.atomic
def deal_update(
    *,
    account: Account,
    user: User | None,
    deal: Deal,
    version: int | None,
    source_how: HowChanged = HowChanged.TYPED,
    **changes: Any,
) -> Deal:
    """Change the fields named in `changes`; status changes apply the closing rules; stale `version` → Conflict
    (None: no check)."""
    check_change_keys(changes, DEAL_EDITABLE, "deal")
    locked = lock_for_update(Deal, account=account, record=deal, version=version, changes=changes)
    previous_status = locked.status
    if "name" in changes:
        locked.name = _name(changes["name"])
    if "value" in changes:
        locked.value = clean_deal_value(changes["value"])
    if "currency" in changes:
        locked.currency = clean_currency(changes["currency"])
    if "status" in changes:
        locked.status = _clean_status(changes["status"])
    if "expected_close_date" in changes:
        locked.expected_close_date = _clean_expected_close_date(
            changes["expected_close_date"], stored=locked.expected_close_date
        )
    if "notes" in changes:
        locked.notes = clean_notes(changes["notes"])
    if "company" in changes:
        locked.company = company_in_account(account=account, company=changes["company"], current_id=locked.company_id)
    if "person" in changes:
        locked.person = person_in_account(account=account, person=changes["person"], current_id=locked.person_id)
    if "owner" in changes:
        locked.owner = owner_in_account(account=account, owner=changes["owner"])
    _settle_status(
        locked,
        account=account,
        previous_status=previous_status,
        closed_at=_clean_date(changes["closed_at"], "closed_at") if "closed_at" in changes else UNSET,
        lost_reason=clean_line(changes["lost_reason"], "lost_reason") if "lost_reason" in changes else UNSET,
    )
    apply_record_changes(locked, account=account, user=user, changes=changes, how=source_how)
    return save_updated_record(locked)


@transaction.atomic
def deal_delete(*, account: Account, user: User | None, deal: Deal, version: int | None = None) -> None:
    """Delete the deal; a stale `version` raises Conflict and deletes nothing."""
    record_delete(Deal, account=account, record=deal, version=version)
