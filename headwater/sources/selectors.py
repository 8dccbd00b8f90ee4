"""Reads about acquisition sources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from headwater.core.errors import NotFound
from headwater.sources.models import Source, SourceChange, SourceEvent, SourceHolder, source_holders

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from headwater.core.models import Account


@dataclass(frozen=True)
class SourceUsage:
    """A source and how many records of each kind use it, by the kind's key ("companies", see source_holders)."""

    source: Source
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    # The catalogue's pages name each kind in its own translated plural ("3 companies"), so they read the counts by
    # name; a kind they do not name still counts in `total` (what a delete clears) and in the API's `usage`.
    @property
    def companies(self) -> int:
        return self.counts.get("companies", 0)

    @property
    def persons(self) -> int:
        return self.counts.get("persons", 0)

    @property
    def deals(self) -> int:
        return self.counts.get("deals", 0)


def _record_querysets(account: Account) -> dict[str, QuerySet[Any]]:
    """The account's records of each kind that carries a source, by their key in the usage counts."""
    return {key: model.objects.for_account(account) for _type, key, model in source_holders()}


def source_list(*, account: Account, include_archived: bool = True) -> QuerySet[Source]:
    qs = Source.objects.for_account(account).order_by("position", "id")
    if not include_archived:
        qs = qs.filter(archived=False)
    return qs


def source_get(*, account: Account, source_id: Any) -> Source:
    """One source of the account; NotFound whether it is another account's or does not exist."""
    if not isinstance(source_id, int) or isinstance(source_id, bool):
        raise NotFound(_("This source does not exist."))
    source = Source.objects.for_account(account).filter(pk=source_id).first()
    if source is None:
        raise NotFound(_("This source does not exist."))
    return source


def source_list_with_usage(*, account: Account) -> list[SourceUsage]:
    """Every source in the admin's order with its usage counts: four queries whatever the number of sources."""
    counts: dict[str, dict[int, int]] = {}
    for kind, qs in _record_querysets(account).items():
        rows = qs.filter(source__isnull=False).values("source").annotate(n=Count("*")).order_by()
        counts[kind] = {row["source"]: row["n"] for row in rows}
    return [
        SourceUsage(source=source, counts={kind: by_source.get(source.pk, 0) for kind, by_source in counts.items()})
        for source in source_list(account=account)
    ]


def source_usage(*, account: Account, source: Source) -> SourceUsage:
    if source.account_id != account.pk:
        raise NotFound(_("This source does not exist."))
    return SourceUsage(
        source=source,
        counts={kind: qs.filter(source=source).count() for kind, qs in _record_querysets(account).items()},
    )


def source_events(*, account: Account, limit: int = 50, offset: int = 0) -> QuerySet[SourceEvent]:
    """The catalogue history, newest first."""
    return (
        SourceEvent.objects.for_account(account)
        .select_related("user")
        .order_by("-at", "-id")[max(offset, 0) : max(offset, 0) + max(limit, 0)]
    )


def source_choices(*, account: Account, current: Source | None = None) -> QuerySet[Source]:
    """What a picker offers: active sources in the admin's order, plus the record's current one if archived."""
    qs = Source.objects.for_account(account)
    if current is not None and current.archived and current.account_id == account.pk:
        return qs.filter(Q(archived=False) | Q(pk=current.pk)).order_by("position", "id")
    return qs.filter(archived=False).order_by("position", "id")


@dataclass(frozen=True)
class SourceDefault:
    """What the default rule gives a new record and why (the form says it: "Source filled in from company X").

    `source` and `contact`: the source filled in and whose it is. When nothing was filled in because a contact's
    source is archived, `archived` is that source and `contact` its owner.
    """

    source: Source | None = None
    contact: SourceHolder | None = None
    archived: Source | None = None


def source_default_explained(
    *, account: Account, company: SourceHolder | None, person: SourceHolder | None
) -> SourceDefault:
    """The seed's automatic transfer: the person's source, else the company's; nothing when the option is off.

    An archived source is not offered for new choices, so it is not carried over either (documented in
    docs/sources.md): the rule falls through to the company, and otherwise the field stays empty, and the first
    archived source met says why.
    """
    if not (account.sources_enabled and account.source_default_from_contact):
        return SourceDefault()
    skipped = SourceDefault()
    for contact in (person, company):
        if contact is not None and contact.account_id == account.pk and contact.source_id:
            source = Source.objects.for_account(account).filter(pk=contact.source_id).first()
            if source is not None and not source.archived:
                return SourceDefault(source=source, contact=contact)
            if source is not None and skipped.archived is None:
                skipped = SourceDefault(contact=contact, archived=source)
    return skipped


def source_default_for(*, account: Account, company: SourceHolder | None, person: SourceHolder | None) -> Source | None:
    """The source the default rule fills in (see source_default_explained)."""
    return source_default_explained(account=account, company=company, person=person).source


def source_history_for_record(*, account: Account, record: Any, limit: int = 100) -> QuerySet[SourceChange]:
    """Who changed a company's, person's or deal's source, when, from what to what and how; newest first."""
    if record.account_id != account.pk:
        raise NotFound(_("Not found."))
    return (
        SourceChange.objects.for_account(account)
        .filter(record_type=record._meta.model_name, record_id=record.pk)
        .select_related("user")
        .order_by("-at", "-id")[: max(limit, 0)]
    )
