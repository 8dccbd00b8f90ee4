"""Bulk changes from a list: set one or more fields (the source, the owner) on chosen records, or on every record
matching the list's filters, all or nothing.

The fields a bulk change may set are declared once (`BULK_FIELDS`); each knows how to check its new value inside the
account and how to write it on a batch of locked records. The campaign is one of them; it and the source agree as on
one record (records.services.campaign_source): a campaign set in bulk brings its source to the records without one,
and a change that would leave a record with another source's campaign is refused, for all the records.

Set-based on purpose: the value is checked once (a member of the account, an active source of the account), then
each batch of records is locked in id order and changed with one UPDATE (every field at once), its source history
written in one INSERT (`sources.services.records_source_history`, one row per record saying "changed in bulk").
The statistics tallies follow through their triggers like for any other write. Every record's version goes up, so
an edit form opened before the change reports a conflict rather than writing the old value back.

`BULK_CHANGE_LIMIT` bounds one change: it runs in one transaction that holds the row locks of every record it
changes until it commits, so a bigger set would block other users' edits of those records (and the request) for
too long; beyond it the user narrows the filter (or, later, runs it as a background job).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from headwater.campaigns.models import Campaign
from headwater.campaigns.services import records_campaign_history
from headwater.core.bidi import isolate
from headwater.core.errors import Conflict, NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.records.listing import RecordFilters
from headwater.records.registry import RecordKind
from headwater.records.services import chosen_campaign, chosen_source, owner_in_account
from headwater.sources.models import HowChanged, Source
from headwater.sources.services import records_source_history
from headwater.users.models import User

BULK_CHANGE_LIMIT = 20_000
BATCH_SIZE = 1_000


@dataclass(frozen=True)
class BulkField:
    """One field a bulk change can set: `clean(account, value)` checks the new value once (raising a DomainError on
    the field); `prepare(account, user, model, rows, value)`, for each batch of locked rows given as (id, current
    value id), does what goes with the change (the source's history) and returns the value the batch's one UPDATE
    writes."""

    name: str  # the service keyword, the form field and the model field: "source", "owner"
    label: str | Promise
    column: str  # the model column holding its current value, read before the change: "source_id"
    clean: Callable[[Account, Any], Any]
    prepare: Callable[[Account, User | None, type[models.Model], Sequence[tuple[int, Any]], Any], Any]
    needs_sources: bool = False


def _clean_source(account: Account, value: Any) -> Any:
    # No `current_id`: an archived source is refused, as for a new record (it may be some records' current one).
    return chosen_source(account=account, source=value)


def _prepare_source(
    account: Account, user: User | None, model: type[models.Model], rows: Sequence[tuple[int, Any]], value: Any
) -> Any:
    return records_source_history(
        account=account, model=model, current=rows, source=value, how=HowChanged.BULK, user=user
    )


def _clean_campaign(account: Account, value: Any) -> Any:
    return chosen_campaign(account=account, campaign=value)


def _prepare_campaign(
    account: Account, user: User | None, model: type[models.Model], rows: Sequence[tuple[int, Any]], value: Any
) -> Any:
    records_campaign_history(
        account=account,
        record_type=str(model._meta.model_name),
        current=rows,
        campaign=value,
        how=HowChanged.BULK,
        user=user,
    )
    return value


def _clean_owner(account: Account, value: Any) -> Any:
    return owner_in_account(account=account, owner=value)


def _prepare_owner(
    account: Account, user: User | None, model: type[models.Model], rows: Sequence[tuple[int, Any]], value: Any
) -> Any:
    # Owners have no history (yet): the value as it is.
    return value


BULK_FIELDS: tuple[BulkField, ...] = (
    BulkField(
        name="source",
        label=gettext_lazy("Acquisition source"),
        column="source_id",
        clean=_clean_source,
        prepare=_prepare_source,
        needs_sources=True,
    ),
    BulkField(
        name="campaign",
        label=gettext_lazy("Campaign"),
        column="campaign_id",
        clean=_clean_campaign,
        prepare=_prepare_campaign,
        needs_sources=True,
    ),
    BulkField(name="owner", label=gettext_lazy("Owner"), column="owner_id", clean=_clean_owner, prepare=_prepare_owner),
)


def bulk_fields(account: Account) -> list[BulkField]:
    """The fields this account's users can set in bulk (the source only while sources are on)."""
    return [field for field in BULK_FIELDS if account.sources_enabled or not field.needs_sources]


def bulk_targets(
    kind: RecordKind, *, account: Account, ids: Sequence[int] | None = None, filters: RecordFilters | None = None
) -> QuerySet[Any]:
    """The account's records a bulk change is about: the chosen `ids`, else every record matching `filters` (the
    list's own selector). Another account's id is not among them."""
    model: Any = kind.model
    manager = model.objects
    if ids is not None:
        qs: QuerySet[Any] = manager.for_account(account).filter(pk__in=list(ids))
        return qs
    if filters is None:
        raise TypeError("bulk_targets() needs ids or filters")
    if kind.pages is None or kind.pages.matching is None:
        raise TypeError(f"the {kind.noun} kind has no list selector")
    matching: QuerySet[Any] = kind.pages.matching(account=account, filters=filters)
    return matching


def records_bulk_change(
    kind: RecordKind,
    *,
    account: Account,
    user: User | None,
    changes: Mapping[str, Any],
    ids: Sequence[int] | None = None,
    filters: RecordFilters | None = None,
    expected: int | None = None,
) -> int:
    """Set `changes` (field name -> value: an instance, an id or None) on the chosen records, all or nothing;
    returns how many records there were.

    `ids`: the records chosen one by one; one that is not the account's (missing, deleted meanwhile, another
    account's) raises NotFound and changes nothing. `filters`: every record matching the list's filters;
    `expected`, the count the user saw: another count now (records added or changed meanwhile) refuses the change.
    More than BULK_CHANGE_LIMIT records, an unknown field or a refused value raise ValidationFailed.
    """
    fields = {field.name: field for field in BULK_FIELDS}
    unknown = sorted(set(changes) - set(fields))
    if unknown:
        raise TypeError(f"records_bulk_change() cannot change: {', '.join(unknown)}")
    if not changes:
        raise ValidationFailed(_("Choose what to change."), fields={"__all__": [_("Choose what to change.")]})
    if ids is not None:
        ids = sorted(set(ids))
        if not ids:
            raise ValidationFailed(_("Choose at least one record."), fields={"ids": [_("Choose at least one record.")]})
        if len(ids) > BULK_CHANGE_LIMIT:
            raise _too_many(len(ids))
    with transaction.atomic():
        values = {name: fields[name].clean(account, value) for name, value in changes.items()}
        agreement = _campaign_agreement(account, values, source_sent="source" in changes)
        targets = bulk_targets(kind, account=account, ids=ids, filters=filters)
        pks = list(targets.order_by("pk").values_list("pk", flat=True)[: BULK_CHANGE_LIMIT + 1])
        if len(pks) > BULK_CHANGE_LIMIT:
            raise _too_many(targets.count())
        if ids is not None and len(pks) != len(ids):
            raise NotFound(_("Some of the chosen records do not exist (any more): reload the list and choose again."))
        if expected is not None and len(pks) != expected:
            raise Conflict(
                _("%(now)s records match the filter now, not %(shown)s as the list showed: look at it again.")
                % {"now": f"{len(pks):,}", "shown": f"{expected:,}"}
            )
        model: Any = kind.model
        manager = model.objects
        columns = [fields[name].column for name in values]
        columns += ["source_id", "campaign_id"]  # read for the agreement check, last
        for start in range(0, len(pks), BATCH_SIZE):
            batch = pks[start : start + BATCH_SIZE]
            # Locked in id order, batch after batch: two bulk changes over the same records cannot deadlock.
            rows = list(
                manager.for_account(account)
                .filter(pk__in=batch)
                .select_for_update()
                .order_by("pk")
                .values_list("pk", *columns)
            )
            if len(rows) != len(batch):
                raise NotFound(_("Some of the records were deleted in the meantime: reload the list and try again."))
            if agreement is not None:
                agreement(account, [(row[-2], row[-1]) for row in rows])
            updates = {
                name: fields[name].prepare(account, user, kind.model, [(row[0], row[i + 1]) for row in rows], value)
                for i, (name, value) in enumerate(values.items())
            }
            # One UPDATE per batch, every field at once: the tally triggers run once for it.
            manager.for_account(account).filter(pk__in=batch).update(
                **updates, version=models.F("version") + 1, updated_at=timezone.now()
            )
    return len(pks)


def _campaign_agreement(
    account: Account, values: dict[str, Any], *, source_sent: bool
) -> Callable[[Account, Sequence[tuple[int | None, int | None]]], None] | None:
    """Settle the source a campaign brings (in `values`, in place) and return the check each batch of records, as
    (source id, campaign id), must pass; None when the change touches neither.

    A campaign set without a source (or with none): its source, for the records that have none or have it; another
    source's record is refused unless the source is set too. A source set without the campaign: refused for a
    record whose campaign belongs to another source."""
    campaign: Campaign | None = values.get("campaign")
    if campaign is not None:
        source = values.get("source")
        if source is not None and source.pk != campaign.source_id:
            raise ValidationFailed.on(
                "campaign",
                _("The campaign “%(campaign)s” belongs to another source than “%(source)s”.")
                % {"campaign": isolate(campaign.name), "source": isolate(source.name)},
            )
        if source is None:
            # No source chosen: the campaign's, locked and logged by the source's own prepare (as for one record).
            values["source"] = Source.objects.for_account(account).filter(pk=campaign.source_id).first()
            source_sent = False
        wanted = campaign.source_id

        def campaign_fits(account: Account, rows: Sequence[tuple[int | None, int | None]]) -> None:
            if source_sent:
                return
            others = sum(1 for source_id, _campaign in rows if source_id is not None and source_id != wanted)
            if others:
                raise ValidationFailed.on(
                    "campaign",
                    ngettext(
                        "%(count)d of the records has another source than the campaign “%(campaign)s”; set the "
                        "source too, or leave that record out.",
                        "%(count)d of the records have another source than the campaign “%(campaign)s”; set the "
                        "source too, or leave those records out.",
                        others,
                    )
                    % {"count": others, "campaign": isolate(campaign.name)},
                )

        return campaign_fits
    if "source" not in values or "campaign" in values:
        return None
    new_source = values["source"]

    def source_fits(account: Account, rows: Sequence[tuple[int | None, int | None]]) -> None:
        ids = {campaign_id for _source, campaign_id in rows if campaign_id is not None}
        if not ids:
            return
        campaigns = Campaign.objects.for_account(account).filter(pk__in=ids)
        if new_source is not None:
            campaigns = campaigns.exclude(source_id=new_source.pk)
        clashing = set(campaigns.values_list("pk", flat=True))
        count = sum(1 for _source, campaign_id in rows if campaign_id in clashing)
        if count:
            raise ValidationFailed.on(
                "source",
                ngettext(
                    "%(count)d of the records carries a campaign of another source; set the campaign too (or no "
                    "campaign).",
                    "%(count)d of the records carry a campaign of another source; set the campaign too (or no "
                    "campaign).",
                    count,
                )
                % {"count": count},
            )

    return source_fits


def _too_many(count: int) -> ValidationFailed:
    message = ngettext(
        "%(count)s record is more than one change can hold (at most %(limit)s); narrow the filter.",
        "%(count)s records are more than one change can hold (at most %(limit)s); narrow the filter.",
        count,
    ) % {"count": f"{count:,}", "limit": f"{BULK_CHANGE_LIMIT:,}"}
    return ValidationFailed(message, fields={"__all__": [message]})
