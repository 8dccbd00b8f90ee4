"""Reads about channels."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from headwater.channels.models import Channel
from headwater.core.compiled import CompiledRows
from headwater.core.errors import NotFound
from headwater.core.models import Account, models_pointing_at


def channel_list(*, account: Account) -> QuerySet[Channel]:
    return Channel.objects.for_account(account).order_by("position", "id")


# The Statistics filter reads them on every page: compiled once (core.compiled).
_NAMES = CompiledRows(
    lambda account_id: channel_list(account=Account(pk=account_id)).values_list("pk", "name"), account_id=int
)


def channel_names(*, account: Account) -> list[tuple[int, str]]:
    """The account's channels as (id, name), in the admin's order."""
    return [(pk, name) for pk, name in _NAMES(account_id=account.pk)]


def channel_get(*, account: Account, channel_id: object) -> Channel:
    """One channel of the account; NotFound whether it is missing or another account's."""
    try:
        channel = Channel.objects.for_account(account).filter(pk=int(str(channel_id))).first()
    except ValueError:
        channel = None
    if channel is None:
        raise NotFound(_("Not found."))
    return channel


def channel_holders() -> list[Any]:
    """The models whose `channel` points at Channel (the sources app's Source), from Django's metadata: they sit above
    this app, which never imports them."""
    holders: list[Any] = models_pointing_at(Channel, field="channel")
    return holders


def channel_source_counts(*, account: Account) -> dict[int | None, int]:
    """How many sources each channel has (None: sources without a channel), in one grouped query per model that
    points at channels (the sources app's Source: this app sits below it and knows it only through the metadata)."""
    counts: dict[int | None, int] = {}
    for model in channel_holders():
        for channel_id, count in (
            model.objects.for_account(account).values_list("channel").annotate(n=Count("*")).order_by()
        ):
            counts[channel_id] = counts.get(channel_id, 0) + count
    return counts
