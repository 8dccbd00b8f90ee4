"""Writes about campaigns (admins). The pages and the API call exactly these functions.

A campaign belongs to one source for good: records carrying it carry that source too (records.services), so
moving it to another source would contradict them. Merging sources moves the merged source's campaigns along.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.campaigns.models import CAMPAIGN_NAME_MAX_LENGTH, Campaign, CampaignChange
from headwater.campaigns.selectors import campaign_usage
from headwater.core.bidi import isolate
from headwater.core.currencies import is_currency
from headwater.core.errors import Conflict, NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import clean_name, name_key
from headwater.sources.models import HowChanged, Source
from headwater.users.models import User

CAMPAIGN_EDITABLE = ("name", "start_date", "end_date", "budget", "currency", "archived")
_CURRENCY = re.compile(r"[A-Z]{3}")
_CENT = Decimal("0.01")
# budget is NUMERIC(14, 2), as a deal's value: twelve digits before the decimal point.
_BUDGET_LIMIT = Decimal(10) ** 12
# Outside these years a date is a typing mistake (0001-01-01), not a plan.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)


def campaign_clean_name(value: Any) -> str:
    name = clean_name(value, field="name", required=_("Enter the campaign name."))
    if len(name) > CAMPAIGN_NAME_MAX_LENGTH:
        raise ValidationFailed.on(
            "name",
            _("The name can have at most %(max)d characters (it has %(length)d).")
            % {"max": CAMPAIGN_NAME_MAX_LENGTH, "length": len(name)},
        )
    if len(name_key(name)) > CAMPAIGN_NAME_MAX_LENGTH * 3:
        raise ValidationFailed.on("name", _("This name is too long once its characters are normalised; shorten it."))
    return name


def _clean_day(value: Any, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationFailed.on(field, _("Enter a date."))
    day: date = value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationFailed.on(field, _("Enter a date between 1900 and 2100."))
    return day


def _clean_start(value: Any) -> date:
    day = _clean_day(value, "start_date")
    if day is None:
        raise ValidationFailed.on("start_date", _("Enter the day the campaign starts."))
    return day


def campaign_clean_budget(value: Any) -> Decimal | None:
    """A planned budget: None, or a Decimal (an int or a decimal string) >= 0 with at most 2 decimal places. A
    blank string is refused like any other non-number: the form sends None for its empty field."""
    if value is None:
        return None
    message = _("Enter the budget as a decimal number, e.g. 5000.00.")
    if isinstance(value, bool | float):
        # A float has already lost the exact amount the user meant.
        raise ValidationFailed.on("budget", message)
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationFailed.on("budget", message) from exc
    if not amount.is_finite():
        raise ValidationFailed.on("budget", message)
    if amount < 0:
        raise ValidationFailed.on("budget", _("The budget cannot be negative."))
    if amount >= _BUDGET_LIMIT:
        raise ValidationFailed.on("budget", _("The budget is too large."))
    if amount != amount.quantize(_CENT):
        raise ValidationFailed.on("budget", _("Enter the budget with at most 2 decimal places."))
    return amount.quantize(_CENT)


def _clean_currency(value: Any, *, account: Account, budget: Decimal | None) -> str:
    """The budget's currency: the account's when none is given; none without a budget."""
    if budget is None:
        return ""
    if value is None or value == "":
        return account.currency
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value.strip().upper()):
        raise ValidationFailed.on("currency", _("Enter a three-letter currency code, e.g. PLN or EUR."))
    code = value.strip().upper()
    if not is_currency(code):
        raise ValidationFailed.on("currency", _("Enter a three-letter currency code, e.g. PLN or EUR."))
    return code


def _check_period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationFailed.on("end_date", _("The campaign cannot end before it starts."))


def _duplicate(name: str, source: Source) -> ValidationFailed:
    return ValidationFailed.on(
        "name",
        _("The source “%(source)s” already has a campaign named “%(name)s”.")
        % {"source": isolate(source.name), "name": isolate(name)},
    )


def _source_in_account(*, account: Account, source: Any) -> Source:
    """The campaign's source: the account's own, locked against a concurrent delete or merge, and active."""
    message = _("Choose a source of this account.")
    pk = source.pk if isinstance(source, Source) else source
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise ValidationFailed.on("source", message)
    # NO KEY UPDATE is enough to keep a delete or merge out, and lets records be pointed at the source meanwhile.
    locked = Source.objects.for_account(account).select_for_update(no_key=True).filter(pk=pk).first()
    if locked is None:
        raise ValidationFailed.on("source", message)
    if locked.archived:
        raise ValidationFailed.on(
            "source", _("The source “%(name)s” is archived; restore it to add campaigns.") % {"name": locked.name}
        )
    return locked


def _save(campaign: Campaign, *, creating: bool) -> Campaign:
    try:
        # A savepoint: a concurrent campaign of the same name (the unique constraint) leaves the transaction usable.
        with transaction.atomic():
            campaign.save(force_insert=creating)
    except IntegrityError as exc:
        raise _duplicate(campaign.name, campaign.source) from exc
    return campaign


@transaction.atomic
def campaign_create(
    *,
    account: Account,
    user: User | None,
    source: Source | int,
    name: str,
    start_date: date | None,
    end_date: date | None = None,
    budget: Decimal | int | str | None = None,
    currency: str | None = None,
) -> Campaign:
    """A new active campaign of `source` (an active source of the account)."""
    picked = _source_in_account(account=account, source=source)
    clean = campaign_clean_name(name)
    key = name_key(clean)
    start = _clean_start(start_date)
    end = _clean_day(end_date, "end_date")
    _check_period(start, end)
    amount = campaign_clean_budget(budget)
    if Campaign.objects.for_account(account).filter(source=picked, name_key=key).exists():
        raise _duplicate(clean, picked)
    now = timezone.now()
    campaign = Campaign(
        account=account,
        source=picked,
        name=clean,
        name_key=key,
        start_date=start,
        end_date=end,
        budget=amount,
        currency=_clean_currency(currency, account=account, budget=amount),
        created_at=now,
        updated_at=now,
    )
    return _save(campaign, creating=True)


def _lock(*, account: Account, campaign: Campaign, version: int | None, deleting: bool = False) -> Campaign:
    """The campaign's row, locked. A delete takes FOR UPDATE, which waits for the records being linked to it (they
    hold KEY SHARE, records.services.chosen_campaign) and makes later ones wait; a change of its fields takes FOR NO
    KEY UPDATE, which lets records link to it meanwhile."""
    if not isinstance(campaign, Campaign) or campaign.account_id != account.pk:
        raise NotFound(_("This campaign does not exist."))
    rows = Campaign.objects.for_account(account).select_for_update(no_key=not deleting, of=("self",))
    locked = rows.select_related("source").filter(pk=campaign.pk).first()
    if locked is None:
        raise NotFound(_("This campaign does not exist (it may have been deleted in the meantime)."))
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or locked.version != version):
        raise Conflict(
            _("The campaign “%(name)s” was changed by someone else in the meantime. Reload the page and try again.")
            % {"name": isolate(locked.name)}
        )
    return locked


@transaction.atomic
def campaign_update(
    *, account: Account, user: User | None, campaign: Campaign, version: int | None, **changes: Any
) -> Campaign:
    """Change the fields named in `changes` (CAMPAIGN_EDITABLE); a stale `version` raises Conflict (None: no check).
    Archived: no longer offered for new choices; stays on its records and in filters."""
    unknown = sorted(set(changes) - set(CAMPAIGN_EDITABLE))
    if unknown:
        raise TypeError(f"campaign_update() cannot change: {', '.join(unknown)}")
    locked = _lock(account=account, campaign=campaign, version=version)
    if "name" in changes:
        locked.name = campaign_clean_name(changes["name"])
        locked.name_key = name_key(locked.name)
        taken = Campaign.objects.for_account(account).filter(source_id=locked.source_id, name_key=locked.name_key)
        if taken.exclude(pk=locked.pk).exists():
            raise _duplicate(locked.name, locked.source)
    if "start_date" in changes:
        locked.start_date = _clean_start(changes["start_date"])
    if "end_date" in changes:
        locked.end_date = _clean_day(changes["end_date"], "end_date")
    _check_period(locked.start_date, locked.end_date)
    if "budget" in changes:
        locked.budget = campaign_clean_budget(changes["budget"])
    if "budget" in changes or "currency" in changes:
        currency = changes.get("currency", locked.currency or None)
        locked.currency = _clean_currency(currency, account=account, budget=locked.budget)
    if "archived" in changes:
        if not isinstance(changes["archived"], bool):
            raise ValidationFailed.on("archived", _("Send true or false."))
        locked.archived = changes["archived"]
    locked.version += 1
    locked.updated_at = timezone.now()
    return _save(locked, creating=False)


@transaction.atomic
def campaign_delete(*, account: Account, user: User | None, campaign: Campaign, version: int | None = None) -> None:
    """Delete a campaign no record carries; one in use is refused with the counts (archive it instead)."""
    locked = _lock(account=account, campaign=campaign, version=version, deleting=True)
    usage = campaign_usage(account=account, campaign=locked)
    if usage.total:
        raise ValidationFailed.on(
            "campaign",
            _(
                "The campaign “%(name)s” is still carried by %(companies)d companies, %(persons)d persons and "
                "%(deals)d deals. Take it off them first, or archive it instead."
            )
            % {
                "name": isolate(locked.name),
                "companies": usage.counts.get("companies", 0),
                "persons": usage.counts.get("persons", 0),
                "deals": usage.counts.get("deals", 0),
            },
        )
    Campaign.objects.for_account(account).filter(pk=locked.pk).delete()


def records_campaign_history(
    *,
    account: Account,
    record_type: str,
    current: Sequence[tuple[int, int | None]],
    campaign: Campaign | None,
    how: HowChanged,
    user: User | None,
) -> int:
    """One history row for each record of `current`, given as (id, current campaign id), whose campaign becomes
    `campaign`; returns how many. The record services and the bulk change call it inside their transaction, with
    the records locked (or just inserted)."""
    new_id = campaign.pk if campaign is not None else None
    changing = [(pk, old_id) for pk, old_id in current if old_id != new_id]
    if not changing:
        return 0
    old_ids = {old_id for _pk, old_id in changing if old_id is not None}
    old_names = dict(Campaign.objects.for_account(account).filter(pk__in=old_ids).values_list("pk", "name"))
    now = timezone.now()
    CampaignChange.unscoped.bulk_create(
        [
            CampaignChange(
                account=account,
                record_type=record_type,
                record_id=pk,
                old_campaign_id=old_id,
                old_name=old_names.get(old_id, "") if old_id is not None else "",
                new_campaign_id=new_id,
                new_name=campaign.name if campaign is not None else "",
                how=how,
                user=user,
                at=now,
            )
            for pk, old_id in changing
        ],
        batch_size=1000,
    )
    return len(changing)
