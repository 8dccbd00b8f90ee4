"""Writes about channels: the shipped list, and an admin's add, rename, reorder and delete.

A channel's sources live in the sources app (above this one): deleting a channel asks the caller for the channel its
sources move to, and moves them through Django's metadata (`models_pointing_at`), never by importing that app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from headwater.channels.models import CHANNEL_NAME_MAX_LENGTH, DEFAULT_CHANNELS, Channel
from headwater.channels.selectors import channel_holders
from headwater.core.bidi import isolate
from headwater.core.errors import NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import clean_name, name_key

if TYPE_CHECKING:
    from headwater.users.models import User


def channels_seed_on_account_created(sender: Any, account: Account, **kwargs: Any) -> None:
    """`users.signals.account_created`: a new account starts with the shipped list of channels."""
    channels_seed_default(account=account)


def channels_seed_default(*, account: Account) -> list[Channel]:
    """The shipped list, named in the account's language."""
    with translation.override(account.language):
        names = [(key, _(name)) for key, name in DEFAULT_CHANNELS]
    rows = [
        Channel(account=account, name=name, name_key=name_key(name), key=key, position=position)
        for position, (key, name) in enumerate(names, start=1)
    ]
    return Channel.unscoped.bulk_create(rows)


def channel_clean_name(name: object) -> str:
    name = clean_name(name, field="name", required=_("Enter a name for the channel."))
    if len(name) > CHANNEL_NAME_MAX_LENGTH:
        raise ValidationFailed.on(
            "name",
            _("The name can have at most %(max)d characters (it has %(length)d).")
            % {"max": CHANNEL_NAME_MAX_LENGTH, "length": len(name)},
        )
    return name


def _check_free(*, account: Account, name: str, exclude_pk: int = 0) -> str:
    key = name_key(name)
    taken = Channel.objects.for_account(account).filter(name_key=key).exclude(pk=exclude_pk).first()
    if taken is not None:
        raise ValidationFailed.on(
            "name", _("A channel named “%(name)s” already exists.") % {"name": isolate(taken.name)}
        )
    return key


def _lock_channels(account: Account) -> list[Channel]:
    # Every write locks the account's whole list (a handful of rows), so positions and names never race.
    return list(Channel.objects.for_account(account).select_for_update().order_by("position", "id"))


def channel_get_locked(*, account: Account, channel_id: int) -> Channel:
    channel = Channel.objects.for_account(account).filter(pk=channel_id).select_for_update().first()
    if channel is None:
        raise NotFound(_("Not found."))
    return channel


@transaction.atomic
def channel_create(*, account: Account, user: User | None, name: str) -> Channel:
    """A new channel at the end of the list."""
    name = channel_clean_name(name)
    _lock_channels(account)
    key = _check_free(account=account, name=name)
    last = Channel.objects.for_account(account).aggregate(last=Max("position"))["last"] or 0
    try:
        with transaction.atomic():
            return Channel.unscoped.create(account=account, name=name, name_key=key, position=last + 1)
    except IntegrityError as exc:
        raise ValidationFailed.on(
            "name", _("A channel named “%(name)s” already exists.") % {"name": isolate(name)}
        ) from exc


@transaction.atomic
def channel_rename(*, account: Account, user: User | None, channel: Channel, name: str) -> Channel:
    name = channel_clean_name(name)
    _lock_channels(account)
    locked = channel_get_locked(account=account, channel_id=channel.pk)
    locked.name_key = _check_free(account=account, name=name, exclude_pk=locked.pk)
    locked.name = name
    locked.updated_at = timezone.now()
    locked.save(update_fields=["name", "name_key", "updated_at"])
    return locked


@transaction.atomic
def channel_reorder(*, account: Account, user: User | None, ordered_ids: list[int]) -> list[Channel]:
    """Every channel of the account, each once, in the new order; anything else is refused."""
    channels = _lock_channels(account)
    if sorted(ordered_ids) != sorted(c.pk for c in channels) or len(set(ordered_ids)) != len(ordered_ids):
        raise ValidationFailed.on("ids", _("List every channel of the account exactly once."))
    by_id = {c.pk: c for c in channels}
    now = timezone.now()
    moved = []
    for position, pk in enumerate(ordered_ids, start=1):
        channel = by_id[pk]
        if channel.position != position:
            channel.position = position
            channel.updated_at = now
            moved.append(channel)
    Channel.unscoped.bulk_update(moved, ["position", "updated_at"])
    return [by_id[pk] for pk in ordered_ids]


@transaction.atomic
def channel_move(*, account: Account, user: User | None, channel: Channel, direction: str) -> None:
    """One step up or down (the ↑ ↓ buttons)."""
    ids = [c.pk for c in _lock_channels(account)]
    if channel.pk not in ids:
        raise NotFound(_("Not found."))
    index = ids.index(channel.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        channel_reorder(account=account, user=user, ordered_ids=ids)


def channel_usage(*, account: Account, channel: Channel) -> int:
    """How many sources the channel has."""
    return sum(model.objects.for_account(account).filter(channel=channel).count() for model in channel_holders())


@transaction.atomic
def channel_delete(*, account: Account, user: User | None, channel: Channel, target: Channel | None) -> int:
    """Delete a channel; its sources move to `target` (another channel of the account), or to no channel when it is
    None. Returns how many sources moved."""
    _lock_channels(account)
    locked = channel_get_locked(account=account, channel_id=channel.pk)
    if target is not None:
        if target.pk == locked.pk:
            raise ValidationFailed.on("target", _("Choose another channel for its sources."))
        target = channel_get_locked(account=account, channel_id=target.pk)
    moved = 0
    for model in channel_holders():
        moved += model.objects.for_account(account).filter(channel=locked).update(channel=target)
    locked.delete()
    return moved
