# Long on purpose: the catalogue's writes share one locking order (below); split, the rule would span modules.
"""Writes about acquisition sources: the catalogue, the switches, and a record's source with its history.

Locking (PostgreSQL; SQLite's IMMEDIATE transactions already serialise every writer):
- a source that is about to disappear (delete, the merged-away side of a merge) is locked ``FOR UPDATE``;
- a source that only changes in place (rename, archive, reorder, the merge target) is locked
  ``FOR NO KEY UPDATE``, so it does not block records being pointed at it meanwhile;
- assigning a source to a record (`record_set_source`, `source_lock_for_assignment`) takes ``FOR KEY SHARE``,
  which waits only for a delete or merge of that very source. Either the assignment commits first and the
  merge/delete then sees (and moves or clears) the record, or it runs after and finds the source gone and
  refuses cleanly. There is never a record pointing at a source that no longer exists.
Locks are always taken sources first (in id order), then the campaigns they carry, then records, so two of these
never deadlock: a record write KEY SHAREs the source and campaign it picks (a campaign's source first) before it
locks its own row (records.services.lock_picks_first), and a merge or delete locks the records it moves FOR NO KEY
UPDATE, which does not wait for a writer that merely links a new record to one of them (KEY SHARE)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from headwater.channels.models import Channel
from headwater.core.bidi import isolate
from headwater.core.errors import Conflict, NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import clean_name, name_key, name_look_key
from headwater.core.types import UNSET, Unset
from headwater.sources.models import (
    SOURCE_NAME_MAX_LENGTH,
    CatalogAction,
    HowChanged,
    Source,
    SourceAlias,
    SourceChange,
    SourceEvent,
    source_holders,
    source_parts,
)

if TYPE_CHECKING:
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
# The shipped channel (channels.models.DEFAULT_CHANNELS key) of the starter sources whose channel is plain; the
# others ("Website", "Cold call", "Advertising") could be several and wait for the admin.
STARTER_CHANNELS = {
    "Referral": "referral",
    "Trade fair": "events",
    "Social media": "organic_social",
    "Partner": "referral",
    "E-mail campaign": "email",
    "Other": "other",
}

# The uniqueness key column is this long; NFKC can expand a character up to 18 times, so a short name can
# in theory produce a longer key, which we refuse with a message rather than a database error.
NAME_KEY_MAX_LENGTH = SOURCE_NAME_MAX_LENGTH * 3

HISTORY_BATCH = 1000
# Steps of one move of a source (the ↑ ↓ buttons) closer together than this make one history entry.
MOVE_STEPS_WINDOW = timedelta(minutes=10)


# --- Names ----------------------------------------------------------------------------------------------


def source_clean_name(name: object) -> str:
    """The name as it will be stored (whitespace normalised), or ValidationFailed on `name` saying what is wrong."""
    name = clean_name(name, field="name", required=_("Enter a name for the source."))
    if len(name) > SOURCE_NAME_MAX_LENGTH:
        raise ValidationFailed.on(
            "name",
            _("The name can have at most %(max)d characters (it has %(length)d).")
            % {"max": SOURCE_NAME_MAX_LENGTH, "length": len(name)},
        )
    if max(len(key) for key in source_name_keys(name)) > NAME_KEY_MAX_LENGTH:
        raise ValidationFailed.on("name", _("This name is too long once its characters are normalised; shorten it."))
    return name


def _plain(name: str) -> str:
    """Case and character width ignored: a name this close to another is the same name, not a look-alike."""
    return unicodedata.normalize("NFKC", name).casefold()


def _duplicate_error(existing_name: str, name: str) -> ValidationFailed:
    """The refusal of a name whose key another source has; it names that source, the one the admin may mean."""
    if _plain(existing_name) == _plain(name):
        return ValidationFailed.on(
            "name", _("A source named “%(name)s” already exists.") % {"name": isolate(existing_name)}
        )
    return ValidationFailed.on(
        "name",
        _(
            "“%(name)s” is too similar to the existing source “%(existing)s”: names that differ only in case, "
            "accents, spacing or look-alike characters count as the same."
        )
        % {"name": isolate(name), "existing": isolate(existing_name)},
    )


def source_name_keys(name: str) -> tuple[str, str]:
    """(name_key, look_key) of a source name: a new name must match neither key of another source."""
    return name_key(name), name_look_key(name)


def _alias_with_key(*, account: Account, keys: tuple[str, str], exclude_pk: int | None = None) -> SourceAlias | None:
    key, look = keys
    qs = SourceAlias.objects.for_account(account).filter(Q(key=key) | Q(look_key=look)).select_related("source")
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("pk").first()


def _alias_taken_error(alias: SourceAlias, name: str, *, field: str = "name") -> ValidationFailed:
    """The refusal of a name (of a source or an alias) that an alias already stands for."""
    return ValidationFailed.on(
        field,
        _(
            "“%(name)s” is already an alias of the source “%(source)s” (as “%(alias)s”); delete that alias or "
            "point it elsewhere first."
        )
        % {"name": isolate(name), "source": isolate(alias.source.name), "alias": isolate(alias.text)},
    )


def _lock_name_space(account: Account) -> None:
    """Serialise the writes that add a name or an alias to the account (PostgreSQL; SQLite serialises them anyway).

    The two tables' unique constraints each guard their own keys; that a name is neither another source's name nor
    an alias needs one lock across both: the account row, FOR NO KEY UPDATE, so records being inserted meanwhile
    (which take KEY SHARE on it through their foreign key) do not wait. Taken before any source lock.
    """
    Account.objects.select_for_update(no_key=True).filter(pk=account.pk).first()


def _existing_with_key(*, account: Account, keys: tuple[str, str], exclude_pk: int | None = None) -> Source | None:
    key, look = keys
    qs = Source.objects.for_account(account).filter(Q(name_key=key) | Q(look_key=look)).order_by("pk")
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


# --- Locks ----------------------------------------------------------------------------------------------


def _lock_sources(*, account: Account, ids: Iterable[int], disappearing: Iterable[int] = ()) -> dict[int, Source]:
    """Lock the given sources of `account` in id order; missing ones are simply absent from the result."""
    gone = set(disappearing)
    found: dict[int, Source] = {}
    for pk in sorted(set(ids)):
        qs = Source.objects.for_account(account).filter(pk=pk)
        qs = qs.select_for_update() if pk in gone else qs.select_for_update(no_key=True)
        source = qs.first()
        if source is not None:
            found[pk] = source
    return found


def _lock_one(*, account: Account, source: Source, disappearing: bool = False) -> Source:
    if not isinstance(source, Source) or source.account_id != account.pk or source.pk is None:
        raise NotFound(_("This source does not exist."))
    locked = _lock_sources(account=account, ids=[source.pk], disappearing=[source.pk] if disappearing else [])
    if source.pk not in locked:
        raise NotFound(_("This source does not exist (it may have been deleted or merged in the meantime)."))
    return locked[source.pk]


def _check_version(source: Source, version: int | None) -> None:
    if version is None:
        return
    if not isinstance(version, int) or isinstance(version, bool) or source.version != version:
        raise Conflict(
            _("The source “%(name)s” was changed by someone else in the meantime. Reload the page and try again.")
            % {"name": isolate(source.name)}
        )


def source_lock_for_assignment(*, account: Account, source_id: int) -> Source:
    """Re-read a source that is about to be put on a record, locked until the record's transaction ends.

    Call inside the record's `transaction.atomic`. A concurrent merge or delete of this source either finished
    before (then this raises ValidationFailed on "source") or waits until the record is saved (and then moves
    or clears it). Use the returned row: its name and archived flag are fresh.
    """
    if not isinstance(source_id, int) or isinstance(source_id, bool):
        raise ValidationFailed.on("source", _("Choose a source of this account."))
    if connection.vendor == "postgresql":
        table = Source._meta.db_table
        rows = list(
            Source.unscoped.raw(
                f"SELECT * FROM {table} WHERE id = %s AND account_id = %s FOR KEY SHARE",  # noqa: S608 — our own table name
                [source_id, account.pk],
            )
        )
        source = rows[0] if rows else None
    else:
        source = Source.objects.for_account(account).filter(pk=source_id).first()
    if source is None:
        raise ValidationFailed.on(
            "source", _("This source no longer exists (it was deleted or merged in the meantime); choose another.")
        )
    return source


# --- Settings -------------------------------------------------------------------------------------------


def _event(
    *,
    account: Account,
    user: User | None,
    action: CatalogAction,
    source: Source | None = None,
    details: dict[str, Any] | None = None,
) -> SourceEvent:
    return SourceEvent.unscoped.create(
        account=account,
        user=user,
        action=action,
        source_id_ref=source.pk if source is not None else None,
        source_name=source.name if source is not None else "",
        details=details or {},
    )


@transaction.atomic
def source_settings_update(
    *,
    account: Account,
    user: User | None,
    enabled: bool | Unset = UNSET,
    default_from_contact: bool | Unset = UNSET,
) -> Account:
    """Switch the feature and the default-from-contact rule. Nothing is deleted when switching off."""
    for field, value in (("enabled", enabled), ("default_from_contact", default_from_contact)):
        if value is not UNSET and not isinstance(value, bool):
            raise ValidationFailed.on(field, _("Choose on or off."))
    locked = Account.objects.select_for_update().get(pk=account.pk)
    changes: dict[str, bool] = {}
    if enabled is not UNSET and locked.sources_enabled != enabled:
        locked.sources_enabled = enabled
        changes["enabled"] = enabled
    if default_from_contact is not UNSET and locked.source_default_from_contact != default_from_contact:
        locked.source_default_from_contact = default_from_contact
        changes["default_from_contact"] = default_from_contact
    if changes:
        locked.save(update_fields=["sources_enabled", "source_default_from_contact"])
        _event(account=account, user=user, action=CatalogAction.SWITCHED, details=dict(changes))
    account.sources_enabled = locked.sources_enabled
    account.source_default_from_contact = locked.source_default_from_contact
    return account


# --- Catalogue ------------------------------------------------------------------------------------------


def sources_seed_on_account_created(sender: Any, account: Account, **kwargs: Any) -> None:
    """`users.signals.account_created`: a new account starts with the starter list of sources (feature off)."""
    sources_seed_starter(account=account)


def sources_seed_starter(*, account: Account) -> list[Source]:
    """A new account's starter list, named in the account's language."""
    with translation.override(account.language):
        names = [(n, _(n)) for n in STARTER_SOURCES]
    channels = dict(Channel.objects.for_account(account).exclude(key="").values_list("key", "pk"))
    rows = []
    for position, (english, name) in enumerate(names, start=1):
        key, look = source_name_keys(name)
        channel_id = channels.get(STARTER_CHANNELS.get(english, ""))
        rows.append(
            Source(account=account, name=name, name_key=key, look_key=look, position=position, channel_id=channel_id)
        )
    return Source.unscoped.bulk_create(rows)


@transaction.atomic
def source_create(*, account: Account, user: User | None, name: str) -> Source:
    """A new active source at the end of the admin's order."""
    name = source_clean_name(name)
    keys = source_name_keys(name)
    _lock_name_space(account)
    existing = _existing_with_key(account=account, keys=keys)
    if existing is not None:
        raise _duplicate_error(existing.name, name)
    alias = _alias_with_key(account=account, keys=keys)
    if alias is not None:
        raise _alias_taken_error(alias, name)
    last = Source.objects.for_account(account).aggregate(last=Max("position"))["last"] or 0
    try:
        # A savepoint, so a concurrent create of the same name (the unique constraints) leaves the outer
        # transaction usable for the lookup that names the winner.
        with transaction.atomic():
            source = Source.unscoped.create(
                account=account, name=name, name_key=keys[0], look_key=keys[1], position=last + 1
            )
    except IntegrityError as exc:
        winner = _existing_with_key(account=account, keys=keys)
        raise _duplicate_error(winner.name if winner is not None else name, name) from exc
    _event(account=account, user=user, action=CatalogAction.ADDED, source=source)
    return source


@transaction.atomic
def source_rename(*, account: Account, user: User | None, source: Source, name: str, version: int | None) -> Source:
    """Rename; refused with Conflict when the source changed since `version` was read (None: no check)."""
    name = source_clean_name(name)
    _lock_name_space(account)
    locked = _lock_one(account=account, source=source)
    _check_version(locked, version)
    if locked.name == name:
        return locked
    keys = source_name_keys(name)
    existing = _existing_with_key(account=account, keys=keys, exclude_pk=locked.pk)
    if existing is not None:
        raise _duplicate_error(existing.name, name)
    alias = _alias_with_key(account=account, keys=keys)
    if alias is not None:
        if alias.source_id != locked.pk:
            raise _alias_taken_error(alias, name)
        # Renamed to one of its own aliases: the alias is now the name itself (one spelling, one place).
        SourceAlias.objects.for_account(account).filter(pk=alias.pk).delete()
    old_name = locked.name
    locked.name = name
    locked.name_key, locked.look_key = keys
    locked.version += 1
    locked.updated_at = timezone.now()
    try:
        with transaction.atomic():
            locked.save(update_fields=["name", "name_key", "look_key", "version", "updated_at"])
    except IntegrityError as exc:
        winner = _existing_with_key(account=account, keys=keys, exclude_pk=locked.pk)
        raise _duplicate_error(winner.name if winner is not None else name, name) from exc
    _event(
        account=account, user=user, action=CatalogAction.RENAMED, source=locked, details={"old": old_name, "new": name}
    )
    return locked


@transaction.atomic
def source_set_channel(
    *, account: Account, user: User | None, source: Source, channel_id: int | None, version: int | None = None
) -> Source:
    """Put the source under a channel of the account (None: no channel). Another account's channel is "not found",
    like a missing one."""
    channel = None
    if channel_id is not None:
        channel = Channel.objects.for_account(account).filter(pk=channel_id).first()
        if channel is None:
            raise ValidationFailed.on("channel", _("Choose one of the account's channels."))
    locked = _lock_one(account=account, source=source)
    _check_version(locked, version)
    if locked.channel_id == (channel.pk if channel else None):
        return locked
    locked.channel = channel
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=["channel", "version", "updated_at"])
    return locked


def _moved_one(before: Sequence[Source], after: Sequence[Source]) -> tuple[Source, int, int] | None:
    """The source whose move alone turns `before` into `after`, with its old and new place (from 1); None when
    the new order needs more than one move."""
    for start, source in enumerate(before):
        end = list(after).index(source)
        if [s for s in before if s is not source] == [s for s in after if s is not source]:
            return source, start + 1, end + 1
    return None


def _log_move(*, account: Account, user: User | None, source: Source, start: int, end: int, count: int) -> None:
    """One history entry per move: the steps of one move (the ↑ ↓ buttons, pressed again and again) extend it.

    A step extends the account's latest entry when that entry is a move of the same source by the same user less
    than `MOVE_STEPS_WINDOW` ago; anything else in between (another source moved, a rename) starts a new entry.
    """
    now = timezone.now()
    latest = SourceEvent.objects.for_account(account).order_by("-at", "-id").first()
    if (
        latest is not None
        and latest.action == CatalogAction.REORDERED
        and latest.details.get("moved")
        and latest.source_id_ref == source.pk
        and latest.user_id == (user.pk if user is not None else None)
        and now - latest.at < MOVE_STEPS_WINDOW
    ):
        latest.details = {**latest.details, "to": end, "count": count}
        latest.source_name = source.name
        latest.at = now
        latest.save(update_fields=["details", "source_name", "at"])
        return
    _event(
        account=account,
        user=user,
        action=CatalogAction.REORDERED,
        source=source,
        details={"moved": True, "from": start, "to": end, "count": count},
    )


def _apply_order(
    *,
    account: Account,
    user: User | None,
    before: Sequence[Source],
    ordered: Sequence[Source],
    mover: Source | None = None,
) -> None:
    """Store `ordered` as positions 1..n and log it: a move of one source as that move, else the whole order.

    `mover`: the source the admin moved, when known (a swap of two neighbours is a move of either).
    """
    changed = []
    for position, source in enumerate(ordered, start=1):
        if source.position != position:
            source.position = position
            changed.append(source)
    if list(before) == list(ordered):
        if changed:
            # Positions normalised (gaps, ties), the order itself unchanged: nothing to tell.
            Source.unscoped.bulk_update(changed, ["position"])
        return
    Source.unscoped.bulk_update(changed, ["position"])
    moved = _moved_one(before, ordered)
    if mover is not None:
        moved = mover, list(before).index(mover) + 1, list(ordered).index(mover) + 1
    if moved is not None:
        source, start, end = moved
        _log_move(account=account, user=user, source=source, start=start, end=end, count=len(ordered))
        return
    _event(
        account=account,
        user=user,
        action=CatalogAction.REORDERED,
        details={"order": [s.name for s in ordered], "ids": [s.pk for s in ordered]},
    )


def _lock_all(account: Account) -> list[Source]:
    """Every source of the account in the current order, locked (a reorder rewrites them all).

    Locked in id order like every other source lock (a position order could deadlock against a merge).
    """
    locked = list(Source.objects.for_account(account).select_for_update(no_key=True).order_by("id"))
    return sorted(locked, key=lambda s: (s.position, s.pk))


@transaction.atomic
def source_reorder(*, account: Account, user: User | None, ordered_ids: list[int]) -> None:
    """Put the sources in the given order; `ordered_ids` must list every source of the account exactly once."""
    current = _lock_all(account)
    by_id = {s.pk: s for s in current}
    valid = (
        isinstance(ordered_ids, list | tuple)
        and all(isinstance(i, int) and not isinstance(i, bool) for i in ordered_ids)
        and len(ordered_ids) == len(by_id)
        and set(ordered_ids) == set(by_id)
    )
    if not valid:
        raise ValidationFailed.on(
            "ordered_ids",
            _(
                "The new order must list every source of this account exactly once; the list may have changed "
                "meanwhile. Reload the page and try again."
            ),
        )
    _apply_order(account=account, user=user, before=current, ordered=[by_id[i] for i in ordered_ids])


@transaction.atomic
def source_move(*, account: Account, user: User | None, source: Source, direction: Literal["up", "down"]) -> None:
    """Move a source one place up or down; at either end nothing changes."""
    if direction not in ("up", "down"):
        raise ValidationFailed.on("direction", _("Choose up or down."))
    if not isinstance(source, Source) or source.account_id != account.pk:
        raise NotFound(_("This source does not exist."))
    current = _lock_all(account)
    index = next((i for i, s in enumerate(current) if s.pk == source.pk), None)
    if index is None:
        raise NotFound(_("This source does not exist (it may have been deleted or merged in the meantime)."))
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(current):
        return
    ordered = list(current)
    ordered[index], ordered[other] = ordered[other], ordered[index]
    _apply_order(account=account, user=user, before=current, ordered=ordered, mover=current[index])


def _set_archived(
    *, account: Account, user: User | None, source: Source, version: int | None, archived: bool
) -> Source:
    locked = _lock_one(account=account, source=source)
    _check_version(locked, version)
    if locked.archived == archived:
        return locked
    locked.archived = archived
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=["archived", "version", "updated_at"])
    _event(
        account=account,
        user=user,
        action=CatalogAction.ARCHIVED if archived else CatalogAction.UNARCHIVED,
        source=locked,
    )
    return locked


@transaction.atomic
def source_archive(*, account: Account, user: User | None, source: Source, version: int | None = None) -> Source:
    """No longer offered for new choices; stays on its records, in filters and statistics."""
    return _set_archived(account=account, user=user, source=source, version=version, archived=True)


@transaction.atomic
def source_unarchive(*, account: Account, user: User | None, source: Source, version: int | None = None) -> Source:
    return _set_archived(account=account, user=user, source=source, version=version, archived=False)


# --- Delete and merge -----------------------------------------------------------------------------------


def _usage_counts(*, account: Account, source: Source) -> dict[str, int]:
    return {
        key: model.objects.for_account(account).filter(source=source).count() for _t, key, model in source_holders()
    }


def usage_text(counts: dict[str, int]) -> str:
    return _("companies: %(companies)d, persons: %(persons)d, deals: %(deals)d") % counts


def _repoint_records(
    *, account: Account, user: User | None, source: Source, target: Source | None, how: HowChanged
) -> dict[str, int]:
    """Move every record of `source` to `target` (None clears it), bumping versions, with one history row each.

    The record rows are locked first, so the ids we log are exactly the rows we update; the history insert
    comes last, after every update, so a failure there rolls back the whole move.
    """
    now = timezone.now()
    moved: list[tuple[str, list[int]]] = []
    counts: dict[str, int] = {}
    for record_type, key, model in source_holders():
        scoped = model.objects.for_account(account).filter(source=source)
        # NO KEY UPDATE: the update changes no key, and a writer linking a new deal to one of these records holds
        # KEY SHARE on it while it waits for this merge's source; FOR UPDATE would wait for it back (a deadlock).
        ids = list(scoped.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
        if ids:
            scoped.update(source=target, version=F("version") + 1, updated_at=now)
        moved.append((record_type, ids))
        counts[key] = len(ids)
    changes = [
        SourceChange(
            account=account,
            record_type=record_type,
            record_id=pk,
            old_source_id=source.pk,
            old_name=source.name,
            new_source_id=target.pk if target is not None else None,
            new_name=target.name if target is not None else "",
            how=how,
            user=user,
            at=now,
        )
        for record_type, ids in moved
        for pk in ids
    ]
    if changes:
        SourceChange.unscoped.bulk_create(changes, batch_size=HISTORY_BATCH)
    return counts


def _refuse_with_parts(*, account: Account, source: Source) -> None:
    """A source with campaigns is not deleted: they would lose the source they belong to (source_parts)."""
    for model in source_parts():
        count = model.objects.for_account(account).filter(source=source).count()
        if count and not _named_part(model):
            # Another part of a source (the spend ledger's entries): named by its model, moved by a merge.
            raise ValidationFailed.on(
                "mode",
                _(
                    "The source “%(name)s” has %(count)d %(parts)s. Merge the source into another one (they move "
                    "along), or archive the source instead."
                )
                % {"name": isolate(source.name), "count": count, "parts": model._meta.verbose_name_plural},
            )
        if count:
            raise ValidationFailed.on(
                "mode",
                ngettext(
                    "The source “%(name)s” has %(count)d campaign. Delete it or merge the source into another one "
                    "(its campaigns move along), or archive the source instead.",
                    "The source “%(name)s” has %(count)d campaigns. Delete them or merge the source into another one "
                    "(its campaigns move along), or archive the source instead.",
                    count,
                )
                % {"name": isolate(source.name), "count": count},
            )


def _named_part(model: Any) -> bool:
    """Whether a part of a source has a name unique within its source (a campaign), as opposed to spend entries."""
    return any(field.name == "name_key" for field in model._meta.concrete_fields)


def _move_parts(*, account: Account, source: Source, target: Source) -> dict[str, int]:
    """A merge moves the merged source's campaigns (source_parts) to `target`; a name `target` already has for one
    of its own is refused (the names are unique within a source), and the whole merge with it."""
    moved: dict[str, int] = {}
    for model in source_parts():
        scoped = model.objects.for_account(account)
        keys = set(scoped.filter(source=target).values_list("name_key", flat=True)) if _named_part(model) else set()
        clash = scoped.filter(source=source, name_key__in=keys).order_by("name").first() if keys else None
        if clash is not None:
            raise ValidationFailed.on(
                "into",
                _(
                    "“%(into)s” already has a campaign named “%(name)s”, as “%(source)s” has. Rename one of the two "
                    "campaigns first."
                )
                % {"into": isolate(target.name), "name": isolate(clash.name), "source": isolate(source.name)},
            )
        count = scoped.filter(source=source).update(source=target, version=F("version") + 1, updated_at=timezone.now())
        if count:
            moved[model._meta.app_label] = count  # in the catalogue history's details, only when some moved
    return moved


def _delete_row(*, account: Account, source: Source) -> None:
    """Delete the source and its aliases (they spell a source that no longer exists)."""
    SourceAlias.objects.for_account(account).filter(source=source).delete()
    Source.objects.for_account(account).filter(pk=source.pk).delete()


@transaction.atomic
def source_delete(
    *,
    account: Account,
    user: User | None,
    source: Source,
    mode: Literal["only_if_unused", "clear"],
    expected_count: int | None = None,
    version: int | None = None,
) -> None:
    """Delete a source. A source in use is never removed silently; a stale `version` raises Conflict.

    `only_if_unused`: refused (ValidationFailed with the counts) when any record uses it.
    `clear`: the source is cleared on every record using it; `expected_count` must be the total the admin
    confirmed, else Conflict (a race must not clear more than they saw). Each cleared record gets a history row.
    """
    if mode not in ("only_if_unused", "clear"):
        raise ValidationFailed.on("mode", _("Choose how to delete the source."))
    locked = _lock_one(account=account, source=source, disappearing=True)
    _check_version(locked, version)
    _refuse_with_parts(account=account, source=locked)
    counts = _usage_counts(account=account, source=locked)
    total = sum(counts.values())
    if mode == "only_if_unused" and total:
        raise ValidationFailed.on(
            "mode",
            _(
                "The source “%(name)s” is still used (%(usage)s). Merge it into another source, clear it from "
                "those records, or archive it instead."
            )
            % {"name": isolate(locked.name), "usage": usage_text(counts)},
        )
    if mode == "clear":
        if expected_count is None:
            if total:
                raise ValidationFailed.on(
                    "expected_count",
                    ngettext(
                        "Confirm that %(count)d record will lose its source.",
                        "Confirm that %(count)d records will lose their source.",
                        total,
                    )
                    % {"count": total},
                )
        elif not isinstance(expected_count, int) or isinstance(expected_count, bool) or expected_count != total:
            raise Conflict(
                _(
                    "The number of records using “%(name)s” changed in the meantime (now %(count)d). "
                    "Review and confirm again."
                )
                % {"name": isolate(locked.name), "count": total}
            )
        if total:
            counts = _repoint_records(account=account, user=user, source=locked, target=None, how=HowChanged.CLEARED)
    _delete_row(account=account, source=locked)
    _event(account=account, user=user, action=CatalogAction.DELETED, source=locked, details={"mode": mode, **counts})


@transaction.atomic
def source_merge(
    *, account: Account, user: User | None, source: Source, into: Source, version: int | None = None
) -> int:
    """Move every company, person and deal of `source` to `into`, then delete `source`; returns records moved.

    The merged source's aliases move to `into`, and its name becomes one more alias of `into`: a file or an API
    client still writing the old name lands on the source its records went to. All-or-nothing (one transaction).
    `into` may be archived: the records keep a source they can be filtered and counted by, which is how an admin
    retires several sources into one archived bucket.
    """
    if not isinstance(source, Source) or source.account_id != account.pk:
        raise NotFound(_("This source does not exist."))
    if not isinstance(into, Source) or into.account_id != account.pk or into.pk is None:
        raise ValidationFailed.on("into", _("Choose a source of this account to merge into."))
    if into.pk == source.pk:
        raise ValidationFailed.on("into", _("Choose another source: a source cannot be merged into itself."))
    locked = _lock_sources(account=account, ids=[source.pk, into.pk], disappearing=[source.pk])
    if source.pk not in locked:
        raise NotFound(_("This source does not exist (it may have been deleted or merged in the meantime)."))
    if into.pk not in locked:
        raise ValidationFailed.on(
            "into", _("The chosen source no longer exists (it was deleted or merged in the meantime); choose another.")
        )
    merged, target = locked[source.pk], locked[into.pk]
    _check_version(merged, version)
    moved_parts = _move_parts(account=account, source=merged, target=target)
    counts = _repoint_records(account=account, user=user, source=merged, target=target, how=HowChanged.MERGE)
    aliases = _move_aliases_on_merge(account=account, user=user, merged=merged, target=target)
    _delete_row(account=account, source=merged)
    _event(
        account=account,
        user=user,
        action=CatalogAction.MERGED,
        source=merged,
        details={"into_id": target.pk, "into_name": target.name, **counts, "aliases": aliases, **moved_parts},
    )
    return sum(counts.values())


# --- A record's source ----------------------------------------------------------------------------------


def record_type_of(record: Any) -> str:
    """A record's type in the history: its model's name ("company"), for any kind that carries a source."""
    return str(record._meta.model_name)


def record_set_source(
    *,
    account: Account,
    record: Any,
    source: Source | None,
    how: HowChanged,
    user: User | None,
) -> bool:
    """Set `record.source` (the caller saves the record) and log the change; False when nothing changed.

    Runs inside the caller's transaction. A new source is re-read and locked (`source_lock_for_assignment`), so
    a concurrent merge or delete of it either moves this record afterwards or makes this raise
    ValidationFailed on "source". The record must already have a primary key so the history row can point at
    it; callers creating a record save it first, then call this and save again, inside one transaction.
    """
    old_id: int | None = record.source_id
    if old_id == (source.pk if source is not None else None):
        return False
    locked = record_source_before_insert(account=account, record=record, source=source)
    old = Source.objects.for_account(account).filter(pk=old_id).first() if old_id is not None else None
    _log_source_change(account=account, record=record, old=old, old_id=old_id, new=locked, how=how, user=user)
    return True


def record_source_before_insert(*, account: Account, record: Any, source: Source | None) -> Source | None:
    """Put `source` (re-read and locked, `source_lock_for_assignment`) on a record not yet saved, so its insert
    carries it: the tally triggers then count the record once, under its source, instead of under "no source"
    and moving it (a second write, and every new record of the account meeting on the same "no source" tally row).
    `record_source_logged` writes the history row once the record has its id."""
    if source is not None and source.account_id != account.pk:
        raise ValidationFailed.on("source", _("Choose a source of this account."))
    locked = source_lock_for_assignment(account=account, source_id=source.pk) if source is not None else None
    record.source = locked
    return locked


def record_source_logged(*, account: Account, record: Any, how: HowChanged, user: User | None) -> None:
    """The history row of a new record's source (set by `record_source_before_insert`); none without a source."""
    if record.source_id is not None:
        _log_source_change(account=account, record=record, old=None, old_id=None, new=record.source, how=how, user=user)


def _log_source_change(
    *,
    account: Account,
    record: Any,
    old: Source | None,
    old_id: int | None,
    new: Source | None,
    how: HowChanged,
    user: User | None,
) -> None:
    SourceChange.unscoped.create(
        account=account,
        record_type=record_type_of(record),
        record_id=record.pk,
        old_source_id=old_id,
        old_name=old.name if old is not None else "",
        new_source_id=new.pk if new is not None else None,
        new_name=new.name if new is not None else "",
        how=how,
        user=user,
    )


# --- Aliases --------------------------------------------------------------------------------------------


def source_alias_clean_text(text: object) -> str:
    """An alias as it will be stored: the rule of a source name (one line, visible, at most 100 characters)."""
    text = clean_name(text, field="text", required=_("Enter the alias: the other spelling of the source's name."))
    if len(text) > SOURCE_NAME_MAX_LENGTH:
        raise ValidationFailed.on(
            "text",
            _("The alias can have at most %(max)d characters (it has %(length)d).")
            % {"max": SOURCE_NAME_MAX_LENGTH, "length": len(text)},
        )
    if max(len(key) for key in source_name_keys(text)) > NAME_KEY_MAX_LENGTH:
        raise ValidationFailed.on("text", _("This alias is too long once its characters are normalised; shorten it."))
    return text


def _alias_target(*, account: Account, source: Any) -> Source:
    """The source an alias is to point at: the account's own, locked against a merge or delete meanwhile."""
    source_id = source if not isinstance(source, Source) else source.pk if source.account_id == account.pk else None
    if not isinstance(source_id, int) or isinstance(source_id, bool):
        raise ValidationFailed.on("source", _("Choose a source of this account."))
    return source_lock_for_assignment(account=account, source_id=source_id)


def _check_alias_free(
    *, account: Account, text: str, keys: tuple[str, str], target: Source, exclude_pk: int | None
) -> None:
    """Refuse an alias that spells a source's own name (its target's: nothing to remember) or another alias."""
    named = _existing_with_key(account=account, keys=keys)
    if named is not None:
        if named.pk == target.pk:
            raise ValidationFailed.on(
                "text",
                _("“%(text)s” already matches the name of “%(source)s” itself; no alias is needed.")
                % {"text": isolate(text), "source": isolate(target.name)},
            )
        raise ValidationFailed.on(
            "text",
            _("“%(text)s” matches the name of another source, “%(source)s”: an alias cannot spell another source.")
            % {"text": isolate(text), "source": isolate(named.name)},
        )
    alias = _alias_with_key(account=account, keys=keys, exclude_pk=exclude_pk)
    if alias is not None:
        raise _alias_taken_error(alias, text, field="text")


def _alias_event(
    *, account: Account, user: User | None, action: CatalogAction, alias: SourceAlias, **details: Any
) -> None:
    _event(account=account, user=user, action=action, source=alias.source, details={"alias": alias.text, **details})


def _save_alias(alias: SourceAlias, *, account: Account, keys: tuple[str, str], target: Source, **save: Any) -> None:
    """Save in a savepoint: a concurrent writer of the same key (the unique constraints) gives the usual refusal."""
    try:
        with transaction.atomic():
            alias.save(**save)
    except IntegrityError as exc:
        _check_alias_free(account=account, text=alias.text, keys=keys, target=target, exclude_pk=alias.pk)
        raise ValidationFailed.on("text", _("This alias was just added by someone else.")) from exc


@transaction.atomic
def source_alias_create(*, account: Account, user: User | None, source: Source | int, text: str) -> SourceAlias:
    """Remember `text` as another spelling of `source` (archived sources may have aliases too)."""
    text = source_alias_clean_text(text)
    keys = source_name_keys(text)
    _lock_name_space(account)
    target = _alias_target(account=account, source=source)
    _check_alias_free(account=account, text=text, keys=keys, target=target, exclude_pk=None)
    alias = SourceAlias(account=account, source=target, text=text, key=keys[0], look_key=keys[1])
    _save_alias(alias, account=account, keys=keys, target=target, force_insert=True)
    _alias_event(account=account, user=user, action=CatalogAction.ALIAS_ADDED, alias=alias)
    return alias


def _alias_locked(*, account: Account, alias: SourceAlias) -> SourceAlias:
    if not isinstance(alias, SourceAlias) or alias.account_id != account.pk or alias.pk is None:
        raise NotFound(_("This alias does not exist."))
    locked = (
        SourceAlias.objects.for_account(account)
        .select_for_update()
        .select_related("source")
        .filter(pk=alias.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("This alias does not exist (it may have been deleted in the meantime)."))
    return locked


def _check_alias_version(alias: SourceAlias, version: int | None) -> None:
    if version is None:
        return
    if not isinstance(version, int) or isinstance(version, bool) or alias.version != version:
        raise Conflict(
            _("The alias “%(alias)s” was changed by someone else in the meantime. Reload the page and try again.")
            % {"alias": isolate(alias.text)}
        )


@transaction.atomic
def source_alias_update(
    *,
    account: Account,
    user: User | None,
    alias: SourceAlias,
    source: Source | int | Unset = UNSET,
    text: str | Unset = UNSET,
    version: int | None = None,
) -> SourceAlias:
    """Point the alias at another source and/or change its spelling; what is not given stays. A stale `version`
    raises Conflict and changes nothing (None: no check)."""
    new_text = source_alias_clean_text(text) if text is not UNSET else None
    _lock_name_space(account)
    locked = _alias_locked(account=account, alias=alias)
    _check_alias_version(locked, version)
    old_text, old_source = locked.text, locked.source
    target = _alias_target(account=account, source=source) if source is not UNSET else locked.source
    if new_text is not None:
        locked.text = new_text
    keys = source_name_keys(locked.text)
    if locked.text == old_text and target.pk == old_source.pk:
        return locked
    _check_alias_free(account=account, text=locked.text, keys=keys, target=target, exclude_pk=locked.pk)
    locked.source = target
    locked.key, locked.look_key = keys
    locked.updated_at = timezone.now()
    locked.version += 1
    _save_alias(
        locked,
        account=account,
        keys=keys,
        target=target,
        update_fields=["source", "text", "key", "look_key", "updated_at", "version"],
    )
    details: dict[str, Any] = {}
    if old_text != locked.text:
        details["old_alias"] = old_text
    if old_source.pk != target.pk:
        details["from_name"] = old_source.name
    _alias_event(account=account, user=user, action=CatalogAction.ALIAS_MOVED, alias=locked, **details)
    return locked


@transaction.atomic
def source_alias_delete(*, account: Account, user: User | None, alias: SourceAlias, version: int | None = None) -> None:
    """Forget the alias; the source and its records do not change. A stale `version` raises Conflict."""
    locked = _alias_locked(account=account, alias=alias)
    _check_alias_version(locked, version)
    SourceAlias.objects.for_account(account).filter(pk=locked.pk).delete()
    _alias_event(account=account, user=user, action=CatalogAction.ALIAS_GONE, alias=locked)


def _move_aliases_on_merge(*, account: Account, user: User | None, merged: Source, target: Source) -> int:
    """A merge: the merged source's aliases now spell `target`, and so does its old name; returns how many it has.

    No key can collide: the old name and the aliases were unique across the account's names and aliases already.
    """
    now = timezone.now()
    moved = (
        SourceAlias.objects.for_account(account)
        .filter(source=merged)
        .update(source=target, updated_at=now, version=F("version") + 1)
    )
    keys = source_name_keys(merged.name)
    SourceAlias.unscoped.create(
        account=account,
        source=target,
        text=merged.name,
        key=keys[0],
        look_key=keys[1],
        created_at=now,
        updated_at=now,
    )
    return moved + 1


def records_source_history(
    *,
    account: Account,
    model: type[Any],
    current: Sequence[tuple[int, int | None]],
    source: Source | None,
    how: HowChanged,
    user: User | None,
) -> Source | None:
    """`record_set_source` for many records of one kind at once (a bulk change from a list), in two halves: this
    one locks the new source (as for one record: `source_lock_for_assignment`) and logs one history row for each
    record of `current`, given as (id, current source id), whose source changes; the caller then sets the
    records' column to the returned source, in the same transaction (one UPDATE with its other changes).
    The caller has locked the records."""
    if source is not None and source.account_id != account.pk:
        raise ValidationFailed.on("source", _("Choose a source of this account."))
    new_id = source.pk if source is not None else None
    changing = [(pk, old_id) for pk, old_id in current if old_id != new_id]
    if source is not None:
        source = source_lock_for_assignment(account=account, source_id=source.pk)
    if not changing:
        return source
    old_ids = {old_id for _pk, old_id in changing if old_id is not None}
    old_names = dict(Source.objects.for_account(account).filter(pk__in=old_ids).values_list("pk", "name"))
    record_type = str(model._meta.model_name)
    now = timezone.now()
    SourceChange.unscoped.bulk_create(
        [
            SourceChange(
                account=account,
                record_type=record_type,
                record_id=pk,
                old_source_id=old_id,
                old_name=old_names.get(old_id, "") if old_id is not None else "",
                new_source_id=new_id,
                new_name=source.name if source is not None else "",
                how=how,
                user=user,
                at=now,
            )
            for pk, old_id in changing
        ],
        batch_size=500,
    )
    return source
