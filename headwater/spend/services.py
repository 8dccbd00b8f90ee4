"""Writes to the spend ledger (admins). The pages, the API and the spreadsheet import call exactly these functions.

An entry covers a month or a range of days; it belongs to any source of the account (an archived source's past
spend can still be recorded) and optionally to one of that source's campaigns.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.campaigns.models import Campaign
from headwater.core.bidi import isolate
from headwater.core.currencies import is_currency
from headwater.core.dates import filter_day_problem
from headwater.core.errors import Conflict, NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import text_problem
from headwater.sources.models import Source
from headwater.spend.models import NOTE_MAX_LENGTH, SpendEntry
from headwater.spend.periods import month_range
from headwater.users.models import User

SPEND_EDITABLE = ("source", "campaign", "month", "start_date", "end_date", "amount", "currency", "note")
_CURRENCY = re.compile(r"[A-Z]{3}")
_CENT = Decimal("0.01")
# amount is NUMERIC(14, 2): twelve digits before the decimal point.
_AMOUNT_LIMIT = Decimal(10) ** 12
# Outside these years a date is a typing mistake, not spend.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)


def _an_id(value: Any) -> int | None:
    pk = value.pk if isinstance(value, Source | Campaign) else value
    if not isinstance(pk, int) or isinstance(pk, bool):
        return None
    return pk


def _source(*, account: Account, source: Any) -> Source:
    pk = _an_id(source)
    picked = Source.objects.for_account(account).filter(pk=pk).first() if pk is not None else None
    if picked is None:
        raise ValidationFailed.on("source", _("Choose a source of this account."))
    return picked


def _campaign(*, account: Account, campaign: Any, source: Source) -> Campaign | None:
    if campaign is None:
        return None
    pk = _an_id(campaign)
    picked = Campaign.objects.for_account(account).filter(pk=pk).first() if pk is not None else None
    if picked is None:
        raise ValidationFailed.on("campaign", _("Choose a campaign of this account."))
    if picked.source_id != source.pk:
        raise ValidationFailed.on(
            "campaign",
            _("The campaign “%(campaign)s” is not a campaign of the source “%(source)s”.")
            % {"campaign": isolate(picked.name), "source": isolate(source.name)},
        )
    return picked


def _day(value: Any, field: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationFailed.on(field, _("Enter a date."))
    day: dt.date = value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationFailed.on(field, _("Enter a date between 1900 and 2100."))
    return day


def spend_clean_period(*, month: Any, start_date: Any, end_date: Any) -> tuple[dt.date, dt.date]:
    """A month (any day of it) or a range of days, both ends included; exactly one of the two."""
    first = _day(month, "month")
    start = _day(start_date, "start_date")
    end = _day(end_date, "end_date")
    for name, day in (("month", first), ("start_date", start), ("end_date", end)):
        problem = filter_day_problem(day) if day is not None else None
        if problem:
            raise ValidationFailed.on(name, problem)
    if first is not None:
        if start is not None or end is not None:
            raise ValidationFailed.on("month", _("Give either a month or a start and end date, not both."))
        return month_range(first)
    if start is None and end is None:
        raise ValidationFailed.on("month", _("Give a month, or a start and end date."))
    if start is None:
        raise ValidationFailed.on("start_date", _("Enter the first day the amount was spent."))
    if end is None:
        raise ValidationFailed.on("end_date", _("Enter the last day the amount was spent."))
    if end < start:
        raise ValidationFailed.on("end_date", _("The end date cannot be before the start date."))
    return start, end


def spend_clean_amount(value: Any) -> Decimal:
    """More than zero, at most 2 decimal places, an int or a decimal string (a float has lost the exact amount)."""
    message = _("Enter the amount as a decimal number, e.g. 1200.50.")
    if value is None or value == "":
        raise ValidationFailed.on("amount", _("Enter the amount spent."))
    if isinstance(value, bool | float):
        raise ValidationFailed.on("amount", message)
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationFailed.on("amount", message) from exc
    if not amount.is_finite():
        raise ValidationFailed.on("amount", message)
    if amount <= 0:
        raise ValidationFailed.on("amount", _("The amount must be more than zero."))
    if amount >= _AMOUNT_LIMIT:
        raise ValidationFailed.on("amount", _("The amount is too large."))
    if amount != amount.quantize(_CENT):
        raise ValidationFailed.on("amount", _("Enter the amount with at most 2 decimal places."))
    return amount.quantize(_CENT)


def spend_clean_currency(value: Any, *, account: Account) -> str:
    """Three letters of a known currency; the account's currency when none is given. A currency without an
    exchange rate is accepted: the statistics show it apart."""
    if value is None or value == "":
        return account.currency
    code = value.strip().upper() if isinstance(value, str) else ""
    if not _CURRENCY.fullmatch(code) or not is_currency(code):
        raise ValidationFailed.on("currency", _("Enter a three-letter currency code, e.g. PLN or EUR."))
    return code


def spend_clean_note(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed.on("note", _("Enter text."))
    note = value.strip()
    problem = text_problem(note)
    if problem:
        raise ValidationFailed.on("note", problem)
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationFailed.on(
            "note",
            _("The note can have at most %(max)d characters (it has %(length)d).")
            % {"max": NOTE_MAX_LENGTH, "length": len(note)},
        )
    return note


@transaction.atomic
def spend_create(
    *,
    account: Account,
    user: User | None,
    source: Source | int,
    amount: Decimal | int | str,
    campaign: Campaign | int | None = None,
    month: dt.date | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    currency: str | None = None,
    note: str | None = "",
) -> SpendEntry:
    """A new entry: `month` (any day of it), or `start_date` and `end_date`."""
    picked = _source(account=account, source=source)
    start, end = spend_clean_period(month=month, start_date=start_date, end_date=end_date)
    now = timezone.now()
    entry = SpendEntry(
        account=account,
        source=picked,
        campaign=_campaign(account=account, campaign=campaign, source=picked),
        start_date=start,
        end_date=end,
        amount=spend_clean_amount(amount),
        currency=spend_clean_currency(currency, account=account),
        note=spend_clean_note(note),
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    entry.save(force_insert=True)
    return entry


def _lock(*, account: Account, entry: SpendEntry, version: int | None) -> SpendEntry:
    if not isinstance(entry, SpendEntry) or entry.account_id != account.pk:
        raise NotFound(_("This spend entry does not exist."))
    locked = SpendEntry.objects.for_account(account).select_for_update().filter(pk=entry.pk).first()
    if locked is None:
        raise NotFound(_("This spend entry does not exist (it may have been deleted in the meantime)."))
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or locked.version != version):
        raise Conflict(
            _("This spend entry was changed by someone else in the meantime. Reload the page and try again.")
        )
    return locked


@transaction.atomic
def spend_update(
    *, account: Account, user: User | None, entry: SpendEntry, version: int | None, **changes: Any
) -> SpendEntry:
    """Change the fields named in `changes` (SPEND_EDITABLE); a stale `version` raises Conflict (None: no check).
    A new `month`, or a `start_date` and/or `end_date`, replaces the entry's period."""
    unknown = sorted(set(changes) - set(SPEND_EDITABLE))
    if unknown:
        raise TypeError(f"spend_update() cannot change: {', '.join(unknown)}")
    locked = _lock(account=account, entry=entry, version=version)
    if "source" in changes:
        locked.source = _source(account=account, source=changes["source"])
    if "campaign" in changes or "source" in changes:
        campaign = changes.get("campaign", locked.campaign_id)
        locked.campaign = _campaign(account=account, campaign=campaign, source=locked.source)
    if changes.get("month") is not None:
        locked.start_date, locked.end_date = spend_clean_period(
            month=changes["month"], start_date=changes.get("start_date"), end_date=changes.get("end_date")
        )
    elif "start_date" in changes or "end_date" in changes:
        locked.start_date, locked.end_date = spend_clean_period(
            month=None,
            start_date=changes.get("start_date", locked.start_date),
            end_date=changes.get("end_date", locked.end_date),
        )
    if "amount" in changes:
        locked.amount = spend_clean_amount(changes["amount"])
    if "currency" in changes:
        locked.currency = spend_clean_currency(changes["currency"], account=account)
    if "note" in changes:
        locked.note = spend_clean_note(changes["note"])
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save()
    return locked


@transaction.atomic
def spend_delete(*, account: Account, user: User | None, entry: SpendEntry, version: int | None = None) -> None:
    locked = _lock(account=account, entry=entry, version=version)
    SpendEntry.objects.for_account(account).filter(pk=locked.pk).delete()
