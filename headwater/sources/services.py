"""Writes about acquisition sources: the catalogue, the switches, and a record's source with its history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from headwater.core.text import name_key
from headwater.sources.models import HowChanged, RecordType, Source, SourceChange

if TYPE_CHECKING:
    from headwater.core.models import Account
    from headwater.users.models import User

# Marked with gettext_noop so makemessages picks them up; translated in the account's language when seeded.
STARTER_SOURCES = [
    gettext_noop("Website"),
    gettext_noop("Referral"),
    gettext_noop("Cold call"),
    gettext_noop("Trade fair"),
    gettext_noop("Social media"),
    gettext_noop("Advertising"),
    gettext_noop("Partner"),
    gettext_noop("E-mail campaign"),
    gettext_noop("Other"),
]


def sources_seed_starter(*, account: Account) -> list[Source]:
    """A new account's starter list, named in the account's language."""
    with translation.override(account.language):
        names = [_(n) for n in STARTER_SOURCES]
    return Source.unscoped.bulk_create(
        [Source(account=account, name=n, name_key=name_key(n), position=i) for i, n in enumerate(names, start=1)]
    )


def record_type_of(record: Any) -> RecordType:
    return RecordType(record._meta.model_name)


def record_set_source(
    *,
    account: Account,
    record: Any,
    source: Source | None,
    how: HowChanged,
    user: User | None,
) -> bool:
    """Set `record.source` (the caller saves the record) and log the change; False when nothing changed.

    The record must already have a primary key so the history row can point at it; callers creating a
    record save it first, then call this and save again, inside one transaction.
    """
    if source is not None and source.account_id != account.pk:
        raise ValueError("source belongs to another account")
    old = record.source if record.source_id else None
    if (old.pk if old else None) == (source.pk if source else None):
        return False
    record.source = source
    SourceChange.unscoped.create(
        account=account,
        record_type=record_type_of(record),
        record_id=record.pk,
        old_source_id=old.pk if old else None,
        old_name=old.name if old else "",
        new_source_id=source.pk if source else None,
        new_name=source.name if source else "",
        how=how,
        user=user,
    )
    return True
