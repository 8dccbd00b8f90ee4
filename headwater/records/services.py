"""Rules the company, person and deal services share: linked objects, owners, sources, locking.

Every check resolves a linked object *inside the account* in one query, so "another account's" and "does not
exist" give the same error, and a value read earlier (a contact's source, an archived flag) is always fresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.campaigns.models import Campaign
from headwater.campaigns.services import records_campaign_history
from headwater.core.bidi import isolate
from headwater.core.errors import Conflict, FeatureDisabled, NotFound, ValidationFailed
from headwater.core.models import Account, TenantModel
from headwater.core.text import clean_name
from headwater.core.types import UNSET, Unset
from headwater.core.validation import validate_instance
from headwater.records.models import CrmRecord, RecordOrigin
from headwater.records.registry import kind_of
from headwater.records.search import key_from_values, rows_with_keys, write_search_keys
from headwater.sources.models import HowChanged, Source
from headwater.sources.selectors import source_default_for
from headwater.sources.services import record_set_source, record_source_before_insert, record_source_logged
from headwater.users.models import Membership, User

_T = TypeVar("_T", bound=TenantModel)
_R = TypeVar("_R", bound=CrmRecord)

# Fields no caller may change through `changes`, whatever it passes.
PROTECTED_FIELDS = frozenset(
    {
        "account",
        "account_id",
        "id",
        "pk",
        "version",
        "created_by",
        "created_at",
        "updated_at",
        "origin",
        "origin_import_id",
    }
)


def link_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The record's links (owner, source, a company...: every foreign key). The services check them inside the
    account themselves; full_clean would only repeat the lookups unscoped."""
    return tuple(field.name for field in model._meta.fields if isinstance(field, models.ForeignKey))


def clean_line(value: Any, field: str) -> str:
    """A single-line text value: must be a string; surrounding spaces trimmed (as every HTML form does)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed.on(field, _("Enter text."))
    return value.strip()


def clean_required_name(value: Any, field: str, message: str) -> str:
    """A record's name: the rule every name follows (`core.text.clean_name`), and not empty."""
    return clean_name(value, field=field, required=message)


def clean_notes(value: Any) -> str:
    """Notes are kept as typed (line breaks and indentation matter); only None becomes empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed.on("notes", _("Enter text."))
    return value


def linked_in_account(
    model: type[_T], *, account: Account, value: Any, field: str, message: str, share_lock: bool = False
) -> _T | None:
    """`value` (an instance, an id or None) as a fresh row of `account`; anything else is refused on `field`.

    `share_lock`: hold a KEY SHARE lock on the row until the transaction ends, taken before it is read. A record
    newly linked to a company or person copies its name into the search key; a rename (which locks the row FOR
    UPDATE and rewrites the keys of the records linked so far) either finishes first, and we read the new name,
    or waits for us and then rewrites our key too. KEY SHARE, not FOR UPDATE: creating two deals for one company
    must not queue, and it cannot deadlock against a record that locks itself first and then its new company.
    """
    if value is None:
        return None
    if isinstance(value, model):
        pk = value.pk
    elif isinstance(value, int) and not isinstance(value, bool):
        pk = value
    else:
        raise ValidationFailed.on(field, message)
    if pk is None:
        raise ValidationFailed.on(field, message)
    if share_lock:
        key_share(model, account=account, pk=pk)
    manager: Any = model.objects  # the TenantManager every tenant model carries
    obj: _T | None = manager.for_account(account).filter(pk=pk).first()
    if obj is None:
        raise ValidationFailed.on(field, message)
    return obj


def key_share(model: type[models.Model], *, account: Account, pk: int, fields_too: bool = False) -> None:
    """Hold a KEY SHARE lock on the account's row `pk` of `model` until the transaction ends (PostgreSQL; SQLite's
    IMMEDIATE transactions already serialise writers). A missing row locks nothing: the caller's read says so.

    `fields_too`: a SHARE lock instead, which also keeps out changes of the row's other fields (FOR NO KEY UPDATE:
    an archive) until the transaction ends, for a caller that read them and relies on them."""
    if not connection.features.has_select_for_update:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    strength = "SHARE" if fields_too else "KEY SHARE"
    with connection.cursor() as cursor:
        # Django's ORM offers only FOR UPDATE / FOR NO KEY UPDATE.
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE id = %s AND account_id = %s FOR {strength}",  # noqa: S608 — table name
            [pk, account.pk],
        )


def _an_id(value: Any) -> int | None:
    pk = value.pk if isinstance(value, models.Model) else value
    return pk if isinstance(pk, int) and not isinstance(pk, bool) else None


def lock_campaign_source(*, account: Account, campaign_id: int) -> None:
    """KEY SHARE the campaign's source, then the campaign: the order a merge takes them in (sources first, then
    the campaigns it moves, then the records), so a record write never holds a campaign a merge waits for while
    it waits for that merge's source. A merge that committed in between moved the campaign: lock its new source."""
    for _attempt in range(3):
        source_id = Campaign.objects.for_account(account).filter(pk=campaign_id).values_list("source_id", flat=True)
        before = source_id.first()
        if before is None:
            return
        key_share(Source, account=account, pk=before)
        key_share(Campaign, account=account, pk=campaign_id)
        if source_id.first() == before:
            return


def lock_picks_first(*, account: Account, changes: Mapping[str, Any]) -> None:
    """Before a record's row is locked, KEY SHARE the source and campaign the write is about to put on it.

    Merges and deletes lock sources, then campaigns, then records (sources.services); a write that locked its
    record first and then waited for a merged source could close a cycle through a third writer. Ids that are not
    the account's lock nothing here; the write refuses them where it validates its fields."""
    if not connection.features.has_select_for_update:
        return
    source_id = _an_id(changes.get("source"))
    if source_id is not None:
        key_share(Source, account=account, pk=source_id)
    campaign_id = _an_id(changes.get("campaign"))
    if campaign_id is not None:
        lock_campaign_source(account=account, campaign_id=campaign_id)


def owner_in_account(*, account: Account, owner: Any) -> User | None:
    """The owner must be a member of the account (any role); an id or a User is accepted."""
    if owner is None:
        return None
    message = _("Choose a member of this account as the owner.")
    if isinstance(owner, User):
        user_id = owner.pk
    elif isinstance(owner, int) and not isinstance(owner, bool):
        user_id = owner
    else:
        raise ValidationFailed.on("owner", message)
    membership = Membership.objects.for_account(account).filter(user_id=user_id).select_related("user").first()
    if membership is None:
        raise ValidationFailed.on("owner", message)
    return membership.user


def newly_linked(value: Any, current_id: int | None) -> bool:
    """Whether `value` (an instance, an id or None) links to another row than the record's current one, `current_id`:
    the link to share-lock (see linked_in_account)."""
    pk = value.pk if isinstance(value, models.Model) else value
    return value is not None and pk != current_id


def _require_sources_enabled(account: Account) -> None:
    if not account.sources_enabled:
        raise FeatureDisabled(
            _("Acquisition sources are switched off for this account; an admin can switch them on in the settings."),
            fields={"source": [_("Acquisition sources are switched off for this account.")]},
        )


def chosen_source(*, account: Account, source: Any, current_id: int | None = None) -> Source | None:
    """A source the caller picked: the account's own, and active unless it is the record's current one."""
    _require_sources_enabled(account)
    # KEY SHARE now, before a campaign or the record is locked: the order merges take (see lock_picks_first).
    picked = linked_in_account(
        Source,
        account=account,
        value=source,
        field="source",
        message=_("Choose a source of this account."),
        share_lock=newly_linked(source, current_id),
    )
    if picked is not None and picked.archived and picked.pk != current_id:
        raise ValidationFailed.on(
            "source", _("The source “%(name)s” is archived; choose an active one.") % {"name": picked.name}
        )
    return picked


@dataclass(frozen=True)
class HeldCampaign:
    """A campaign the current transaction has locked already (its source KEY SHARE, then itself FOR SHARE, the
    order lock_campaign_source takes) and read since: new records created later in the same transaction, outside
    any savepoint rolled back since, may take it without locking and reading it once more each (a captured lead
    puts its visit's campaign on up to three new records)."""

    campaign: Campaign


def chosen_campaign(*, account: Account, campaign: Any, current_id: int | None = None) -> Campaign | None:
    """A campaign the caller picked: the account's own (KEY SHARE-locked against a concurrent delete, see
    linked_in_account), active unless it is the record's current one. Sources must be on: a campaign is a source's.
    A HeldCampaign is checked as it was read when it was locked."""
    if campaign is None:
        return None
    if not account.sources_enabled:
        raise FeatureDisabled(
            _("Acquisition sources are switched off for this account; an admin can switch them on in the settings."),
            fields={"campaign": [_("Acquisition sources are switched off for this account.")]},
        )
    if isinstance(campaign, HeldCampaign):
        picked: Campaign | None = campaign.campaign
        if picked is None or picked.account_id != account.pk:
            raise ValidationFailed.on("campaign", _("Choose a campaign of this account."))
    else:
        newly = not isinstance(campaign, Campaign) or campaign.pk != current_id
        campaign_id = _an_id(campaign)
        if newly and campaign_id is not None:
            lock_campaign_source(account=account, campaign_id=campaign_id)
        picked = linked_in_account(
            Campaign,
            account=account,
            value=campaign,
            field="campaign",
            message=_("Choose a campaign of this account."),
            share_lock=newly,
        )
    if picked is not None and picked.archived and picked.pk != current_id:
        raise ValidationFailed.on(
            "campaign", _("The campaign “%(name)s” is archived; choose an active one.") % {"name": isolate(picked.name)}
        )
    return picked


def campaign_source(
    *, account: Account, campaign: Campaign | None, source: Source | None, how: HowChanged, taken: HowChanged
) -> tuple[Source | None, HowChanged]:
    """The record's source given its campaign: a record with a campaign has the campaign's source.

    No source chosen (or only the default rule's, which a campaign picked by hand outranks): the campaign's source,
    set `taken` (how the caller sets what it sends). Another source chosen: refused on "campaign", nothing changes.
    """
    if campaign is None:
        return source, how
    if source is None or (how == HowChanged.DEFAULT and source.pk != campaign.source_id):
        owner = Source.objects.for_account(account).filter(pk=campaign.source_id).first()
        return owner, taken
    if source.pk != campaign.source_id:
        owner_name = Source.objects.for_account(account).filter(pk=campaign.source_id).values_list("name", flat=True)
        raise ValidationFailed.on(
            "campaign",
            _(
                "The campaign “%(campaign)s” belongs to the source “%(owner)s”, not “%(source)s”. Choose a campaign "
                "of “%(source)s”, or leave the source empty to take the campaign's."
            )
            % {
                "campaign": isolate(campaign.name),
                "owner": isolate(owner_name.first() or ""),
                "source": isolate(source.name),
            },
        )
    return source, how


def source_for_new_record(
    *,
    account: Account,
    source: Source | int | Unset | None,
    how: HowChanged,
    company: CrmRecord | None,
    person: CrmRecord | None,
    record: CrmRecord | None = None,
    campaign: Campaign | HeldCampaign | int | None = None,
) -> tuple[Source | None, HowChanged]:
    """What a new record's source is and how it came to be: the default rule for UNSET, else the caller's pick.
    With `record` (the new record), its `campaign` is checked and set too, the source agreeing with it
    (campaign_source)."""
    if source is UNSET:
        picked, picked_how = source_default_for(account=account, company=company, person=person), HowChanged.DEFAULT
    else:
        picked, picked_how = chosen_source(account=account, source=source), how
    if record is None:
        return picked, picked_how
    record.campaign = chosen_campaign(account=account, campaign=campaign)
    return campaign_source(account=account, campaign=record.campaign, source=picked, how=picked_how, taken=how)


def save_new_record(
    record: _R,
    *,
    account: Account,
    user: User | None,
    source: Source | None,
    how: HowChanged,
    origin: RecordOrigin = RecordOrigin.HAND,
    origin_import_id: int | None = None,
    campaign_how: HowChanged | None = None,
) -> _R:
    """Validate, insert with the source (locked first), then the source's history row (it needs the record's id).

    `origin`: how the record came to be (the UI's forms: by hand; the API, an import say so); an import also gives
    its id, nothing else does. `campaign_how`: how the campaign was set, when the origin does not say it (a lead's
    campaign named by its tracked visit: capture)."""
    record.origin, record.origin_import_id = record_origin(origin, origin_import_id)
    validate_instance_fields(record)
    # After validation: a refused value (NUL...) is reported on its own field, not again on the derived key.
    record.search_key = search_key_of(record)
    record_source_before_insert(account=account, record=record, source=source)
    record.save(force_insert=True)
    record_source_logged(account=account, record=record, how=how, user=user)
    if record.campaign_id is not None:
        records_campaign_history(
            account=account,
            record_type=kind_of(type(record)).noun,
            current=[(record.pk, None)],
            campaign=record.campaign,
            how=campaign_how or _CAMPAIGN_HOW.get(origin, HowChanged.TYPED),
            user=user,
        )
    return record


# How a new record's campaign was set, by the way the record came (the history's words; never "default").
_CAMPAIGN_HOW = {RecordOrigin.API: HowChanged.API, RecordOrigin.IMPORT: HowChanged.IMPORT}


def record_origin(origin: Any, import_id: Any) -> tuple[RecordOrigin, int | None]:
    """The origin a creating path passes, checked: a programming error (not a user's) fails loudly."""
    if not isinstance(origin, RecordOrigin) or origin == RecordOrigin.UNKNOWN:
        raise TypeError(f"not a record origin a new record can have: {origin!r}")
    needs_id = origin == RecordOrigin.IMPORT
    valid_id = isinstance(import_id, int) and not isinstance(import_id, bool) and import_id > 0
    if needs_id != valid_id or (not needs_id and import_id is not None):
        raise TypeError(f"origin {origin.value!r} with import id {import_id!r}: only an import has (and needs) one")
    return origin, import_id


def validate_instance_fields(record: models.Model) -> None:
    validate_instance(record, exclude=link_fields(type(record)))


def check_change_keys(changes: Mapping[str, Any], editable: Iterable[str], entity: str) -> None:
    """Refuse unknown or protected keys loudly: a typo must never be silently ignored, a version never forged."""
    allowed = set(editable)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise TypeError(f"{entity}_update() cannot change: {', '.join(unknown)}")


def lock_for_update(
    model: type[_R], *, account: Account, record: _R, version: int | None, changes: Mapping[str, Any] | None = None
) -> _R:
    """The record's row, locked until the transaction ends; Conflict when it changed since `version` was read.

    `changes`: the update's fields; the source and campaign among them are KEY SHARE-locked before the record
    (lock_picks_first), the order merges and deletes take.

    `version=None` checks nothing: the caller changes the row as it is now (an API write without a precondition,
    "last write wins" for the fields it changes; the others are read here, locked, so none is overwritten).
    Callers run inside `transaction.atomic`. On SQLite the IMMEDIATE transaction already serialises writers.
    """
    if record.account_id != account.pk:
        raise NotFound(_("Not found."))
    if changes:
        lock_picks_first(account=account, changes=changes)
    manager: Any = model.objects
    locked: _R | None = manager.for_account(account).select_for_update().filter(pk=record.pk).first()
    if locked is None:
        raise NotFound(_("Not found."))
    if version is None:
        return locked
    if not isinstance(version, int) or isinstance(version, bool) or locked.version != version:
        raise Conflict(_("Someone else changed this record in the meantime. Reload the page to see their changes."))
    return locked


def apply_source_change(
    record: CrmRecord, *, account: Account, user: User | None, source: Any, how: HowChanged
) -> None:
    picked = chosen_source(account=account, source=source, current_id=record.source_id)
    record_set_source(account=account, record=record, source=picked, how=how, user=user)


def apply_record_changes(
    record: CrmRecord, *, account: Account, user: User | None, changes: Mapping[str, Any], how: HowChanged
) -> None:
    """The source and the campaign of an update (each only when in `changes`), in agreement (campaign_source): the
    one place every kind's update service sets them."""
    if "source" not in changes and "campaign" not in changes:
        return
    if "source" in changes:
        source = chosen_source(account=account, source=changes["source"], current_id=record.source_id)
    else:
        source = record.source if record.source_id else None
    if "campaign" in changes:
        old_campaign_id = record.campaign_id
        record.campaign = chosen_campaign(account=account, campaign=changes["campaign"], current_id=record.campaign_id)
        records_campaign_history(
            account=account,
            record_type=kind_of(type(record)).noun,
            current=[(record.pk, old_campaign_id)],
            campaign=record.campaign,
            how=how,
            user=user,
        )
    campaign = record.campaign if record.campaign_id else None
    if "campaign" not in changes and campaign is not None and (source is None or source.pk != campaign.source_id):
        raise ValidationFailed.on(
            "source",
            _(
                "This record carries the campaign “%(campaign)s” of another source. Choose a campaign of the new "
                "source, or no campaign, together with it."
            )
            % {"campaign": isolate(campaign.name)},
        )
    source, how = campaign_source(account=account, campaign=campaign, source=source, how=how, taken=how)
    record_set_source(account=account, record=record, source=source, how=how, user=user)


def save_updated_record(record: _R) -> _R:
    record.version += 1
    record.updated_at = timezone.now()
    validate_instance_fields(record)
    record.search_key = search_key_of(record)
    record.save()
    return record


def unlink_and_bump(model: type[CrmRecord], *, account: Account, field: str, target: models.Model) -> int:
    """Set `field` to empty on the account's records pointing at `target`; bump their version.

    The bump makes an edit form opened before the delete report a conflict instead of re-linking a deleted row.
    The records' search keys lose the target's name first (which also locks them, in id order).
    """
    refresh_dependent_keys(model, account=account, field=field, target=target, unlinking=True)
    manager: Any = model.objects
    updated: int = (
        manager.for_account(account)
        .filter(**{field: target})
        .update(**{field: None, "version": models.F("version") + 1, "updated_at": timezone.now()})
    )
    return updated


def search_key_of(record: CrmRecord) -> str:
    """The record's search key from its current fields and linked names (see records/search.py).

    The linked records are the ones the record holds (a deal's company, read and share-locked by the service), so a
    new link shows the name as it is now.
    """
    try:
        kind = kind_of(type(record))
    except LookupError:
        raise TypeError(f"no search key for {type(record).__name__}") from None
    row: dict[str, Any] = {}
    names: dict[str, dict[int, str]] = {}
    for field in kind.search_fields:
        target = kind.link_of(field)
        if target is None:
            row[field] = getattr(record, field)
            continue
        link = field.removesuffix("_id")
        linked = getattr(record, link) if getattr(record, field) else None
        row[field] = linked.pk if linked is not None else None
        if linked is not None:
            names.setdefault(link, {})[linked.pk] = target.name_from([getattr(linked, f) for f in target.name_fields])
    return key_from_values(kind.noun, row, names)


def dependent_links(model: type[CrmRecord]) -> list[tuple[type[CrmRecord], str]]:
    """The record kinds that link to `model` and the field each links through (a company: persons' and deals'
    `company`; a person: deals' `person`), in the order the apps are installed.

    From Django's metadata: the kinds that link to a record sit above it (a person's app imports the companies app),
    so its app never imports them.
    """
    return [
        (relation.field.model, relation.field.name)
        for relation in model._meta.related_objects
        if isinstance(relation, models.ManyToOneRel) and issubclass(relation.field.model, CrmRecord)
    ]


def refresh_linked_keys(*, account: Account, target: CrmRecord) -> int:
    """After `target` was renamed: rewrite the keys of the account's records that show its name (see
    refresh_dependent_keys), kind by kind; returns how many changed."""
    return sum(
        refresh_dependent_keys(model, account=account, field=field, target=target)
        for model, field in dependent_links(type(target))
    )


def record_delete(model: type[_R], *, account: Account, record: _R, version: int | None) -> None:
    """Delete the account's `record` (locked; a stale `version` raises Conflict and deletes nothing); the records
    linked to it stay, without it (see unlink_linked). Every kind's delete service."""
    target = lock_for_update(model, account=account, record=record, version=version)
    unlink_linked(account=account, target=target)
    manager: Any = model.objects
    manager.for_account(account).filter(pk=target.pk).delete()


def unlink_linked(*, account: Account, target: CrmRecord) -> None:
    """Before `target` is deleted: the account's records linked to it stay, without it (see unlink_and_bump)."""
    for model, field in dependent_links(type(target)):
        unlink_and_bump(model, account=account, field=field, target=target)


def refresh_dependent_keys(
    model: type[CrmRecord], *, account: Account, field: str, target: models.Model, unlinking: bool = False
) -> int:
    """Rewrite the search keys of the account's `model` records linked to `target` through `field` (after a
    rename of `target`, or before unlinking it); returns how many keys changed.

    The rows are locked in id order, batch by batch, before they are read, and the names they show are read
    after that, in a query of their own: a concurrent edit of one of them either commits first (and we read its
    new text) or waits and then computes its key with the new name; a concurrent rename of its other contact
    has either committed (we read it) or will rewrite this row after us.
    """
    kind = model._meta.model_name or ""
    manager: Any = model.objects
    queryset = manager.for_account(account).filter(**{field: target}).select_for_update()
    overrides = {f"{field}_id": None} if unlinking else None
    changed = 0
    for batch in rows_with_keys(kind, queryset, batch_size=1000, overrides=overrides):
        write_search_keys(model, batch)
        changed += len(batch)
    return changed
