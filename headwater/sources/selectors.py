"""Reads about acquisition sources."""

from __future__ import annotations

from typing import TYPE_CHECKING

from headwater.sources.models import Source

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from headwater.companies.models import Company
    from headwater.core.models import Account
    from headwater.persons.models import Person


def source_list(*, account: Account, include_archived: bool = True) -> QuerySet[Source]:
    qs = Source.objects.for_account(account).order_by("position", "id")
    if not include_archived:
        qs = qs.filter(archived=False)
    return qs


def source_choices(*, account: Account, current: Source | None = None) -> QuerySet[Source]:
    """What a picker offers: active sources in the admin's order, plus the record's current one if archived."""
    qs = Source.objects.for_account(account)
    if current is not None and current.archived:
        return qs.filter(archived=False) | Source.objects.for_account(account).filter(pk=current.pk)
    return qs.filter(archived=False).order_by("position", "id")


def source_default_for(*, account: Account, company: Company | None, person: Person | None) -> Source | None:
    """The seed's automatic transfer: the person's source, else the company's; None when the option is off.

    An archived source is not offered for new choices, so it is not carried over either (documented in
    docs/sources.md): the field stays empty and the user picks an active one.
    """
    if not (account.sources_enabled and account.source_default_from_contact):
        return None
    for contact in (person, company):
        if contact is not None and contact.account_id == account.pk and contact.source_id:
            source = contact.source
            if source is not None and not source.archived:
                return source
    return None
