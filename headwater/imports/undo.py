"""Undo an import (within UNDO_DAYS of its run): the records it created are deleted, the fields it changed get their
previous values back (ImportChange), the source history says "import #N undone". All or nothing: one transaction,
run as a background job (`import_undo_start` queues it, imports/tasks.py runs it), so a worker killed mid-undo
leaves everything as it was and the undo can be started again.

Records touched since the import are listed first (`undo_plan`): created ones edited since or linked from a record
the import did not create, changed ones edited since. The user keeps them (the rest is undone) or undoes them too;
the job reads them again when it runs, so a record touched after the user chose is kept as well.

A record two rows of the file changed has one ImportChange per change: each field takes back the value it had
before the first (`Restore`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.campaigns.models import Campaign, CampaignChange
from headwater.companies.models import Company
from headwater.core.errors import Conflict, NotFound
from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.imports.models import ChangeAction, Import, ImportChange, ImportState
from headwater.jobs.models import Job
from headwater.jobs.services import job_create, job_enqueue
from headwater.persons.models import Person
from headwater.records.services import dependent_links, refresh_linked_keys, search_key_of, unlink_and_bump
from headwater.sources.models import HowChanged, Source, SourceChange
from headwater.users.models import User

UNDO_DAYS = 30
MODELS: dict[str, type[Any]] = {"company": Company, "person": Person, "deal": Deal}
# Deleted in this order: what links to a record goes before it.
DELETE_ORDER = ("deal", "person", "company")
# A change of one of these shows in the search keys of the records linked to it.
NAME_FIELDS = {"name", "first_name", "last_name"}
UNDO_KIND = "imports.undo"


@dataclass
class Restore:
    """A record the import changed: each changed field's value before the import."""

    kind: str
    record_id: int
    previous: dict[str, Any]


@dataclass
class Touched:
    kind: str
    record_id: int
    name: str
    why: str


@dataclass
class UndoPlan:
    created: dict[str, list[int]] = field(default_factory=dict)
    updated: list[Restore] = field(default_factory=list)
    touched: list[Touched] = field(default_factory=list)
    deadline: dt.datetime | None = None

    @property
    def kept_keys(self) -> set[tuple[str, int]]:
        return {(t.kind, t.record_id) for t in self.touched}

    @property
    def created_count(self) -> int:
        return sum(len(ids) for ids in self.created.values())


def undo_deadline(import_: Import) -> dt.datetime | None:
    return import_.finished_at + dt.timedelta(days=UNDO_DAYS) if import_.finished_at else None


def can_undo(import_: Import) -> bool:
    deadline = undo_deadline(import_)
    return import_.state == ImportState.DONE and deadline is not None and timezone.now() <= deadline


def undo_plan(*, account: Account, import_: Import) -> UndoPlan:
    """What an undo would do, and the records touched since the import (listed for the user to decide)."""
    if import_.account_id != account.pk:
        raise NotFound(_("No such import."))
    plan = UndoPlan(deadline=undo_deadline(import_))
    for kind, model in MODELS.items():
        ids = list(
            model.objects.for_account(account)
            .filter(origin_import_id=import_.pk)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if ids:
            plan.created[kind] = ids
    restores: dict[tuple[str, int], Restore] = {}
    changes = ImportChange.objects.for_account(account).filter(import_run=import_, action=ChangeAction.UPDATED)
    for change in changes.order_by("id"):
        restore = restores.setdefault(
            (change.record_type, change.record_id), Restore(change.record_type, change.record_id, {})
        )
        for name, stored in change.previous.items():
            restore.previous.setdefault(name, stored)
    plan.updated = list(restores.values())
    since = import_.finished_at or import_.created_at
    created_ids = {kind: set(ids) for kind, ids in plan.created.items()}
    for kind, ids in plan.created.items():
        model = MODELS[kind]
        for record in model.objects.for_account(account).filter(pk__in=ids, updated_at__gt=since):
            plan.touched.append(Touched(kind, record.pk, str(record), _("edited since the import")))
        for linker, link in dependent_links(model):
            linker_kind = str(linker._meta.model_name)
            outside = (
                linker.objects.for_account(account)
                .filter(**{f"{link}__in": ids})
                .exclude(pk__in=created_ids.get(linker_kind, set()))
                .values_list(f"{link}_id", flat=True)
                .distinct()
            )
            for record in model.objects.for_account(account).filter(pk__in=set(outside)):
                plan.touched.append(Touched(kind, record.pk, str(record), _("linked to a record added since")))
    for restore in plan.updated:
        record = MODELS[restore.kind].objects.for_account(account).filter(pk=restore.record_id).first()
        if record is not None and record.updated_at > since:
            plan.touched.append(Touched(restore.kind, record.pk, str(record), _("edited since the import")))
    unique: dict[tuple[str, int], Touched] = {}
    for touched in plan.touched:
        unique.setdefault((touched.kind, touched.record_id), touched)
    plan.touched = list(unique.values())
    return plan


def _value(model: type[Any], name: str, stored: Any) -> Any:
    if name.endswith("_id"):
        return stored
    field_ = model._meta.get_field(name)
    if stored is None:
        return None
    if isinstance(field_, models.DecimalField):
        return Decimal(str(stored))
    if isinstance(field_, models.DateField):
        return dt.date.fromisoformat(str(stored))
    return stored


def import_undo_start(*, account: Account, user: User | None, import_: Import, keep_touched: bool) -> Job:
    """Queue the undo as a background job (imports/tasks.py), in one transaction with the import's `undo_job`.
    Refused (Conflict) when the import cannot be undone or an undo of it is queued or running."""
    from headwater.imports.tasks import import_undo_task  # noqa: PLC0415  # the task module imports this one

    with transaction.atomic():
        locked = Import.objects.for_account(account).select_for_update().filter(pk=import_.pk).first()
        if locked is None:
            raise NotFound(_("No such import."))
        if not can_undo(locked):
            raise Conflict(_("Only an import run in the last %(days)s days can be undone.") % {"days": UNDO_DAYS})
        running = locked.undo_job
        if running is not None and not running.is_finished and not running.is_stale():
            raise Conflict(_("This import is being undone already."))
        job = job_create(account=account, kind=UNDO_KIND, label=locked.file_name, user=user)
        locked.undo_job = job
        locked.save(update_fields=["undo_job"])
        job_enqueue(
            job=job,
            task=import_undo_task,
            import_id=locked.pk,
            user_id=user.pk if user is not None else None,
            keep_touched=keep_touched,
        )
    import_.refresh_from_db()
    return job


def _restore(
    *, account: Account, user: User | None, import_: Import, restore: Restore, sources: dict[int, Source]
) -> bool:
    """Give the record its fields' values from before the import (its source change in the history); False when the
    record is gone since."""
    model = MODELS[restore.kind]
    record = model.objects.for_account(account).select_for_update().filter(pk=restore.record_id).first()
    if record is None:
        return False
    for name, stored in restore.previous.items():
        if name == "source_id" and stored != record.source_id:
            old, new = sources.get(record.source_id or 0), sources.get(stored or 0)
            SourceChange.unscoped.create(
                account=account,
                record_type=restore.kind,
                record_id=record.pk,
                old_source_id=record.source_id,
                old_name=old.name if old else "",
                new_source_id=stored,
                new_name=new.name if new else "",
                how=HowChanged.UNDO,
                import_ref=import_.pk,
                user=user,
            )
        if name == "campaign_id" and stored != record.campaign_id:
            _campaign_undone(account=account, user=user, kind=restore.kind, record=record, old_id=stored)
        setattr(record, name, _value(model, name, stored))
    record.version += 1
    record.updated_at = timezone.now()
    record.search_key = search_key_of(record)
    record.save()
    if NAME_FIELDS & set(restore.previous):
        refresh_linked_keys(account=account, target=record)
    return True


def _campaign_undone(*, account: Account, user: User | None, kind: str, record: Any, old_id: int | None) -> None:
    names = dict(
        Campaign.objects.for_account(account)
        .filter(pk__in=[pk for pk in (record.campaign_id, old_id) if pk])
        .values_list("pk", "name")
    )
    CampaignChange.unscoped.create(
        account=account,
        record_type=kind,
        record_id=record.pk,
        old_campaign_id=record.campaign_id,
        old_name=names.get(record.campaign_id, ""),
        new_campaign_id=old_id,
        new_name=names.get(old_id, "") if old_id else "",
        how=HowChanged.UNDO,
        user=user,
    )


def _delete(*, account: Account, kind: str, ids: list[int], deleting: dict[str, list[int]]) -> int:
    """Delete the kind's records; the records that stay and link to them lose the link (and their version moves)."""
    model = MODELS[kind]
    for linker, link in dependent_links(model):
        linker_kind = str(linker._meta.model_name)
        staying = (
            linker.objects.for_account(account)
            .filter(**{f"{link}__in": ids})
            .exclude(pk__in=deleting.get(linker_kind, []))
            .values_list(f"{link}_id", flat=True)
            .distinct()
        )
        for target in model.objects.for_account(account).filter(pk__in=set(staying)):
            unlink_and_bump(linker, account=account, field=link, target=target)
    count, _by_model = model.objects.for_account(account).filter(pk__in=ids).delete()
    return int(count)


def import_undo(
    *,
    account: Account,
    user: User | None,
    import_: Import,
    keep_touched: bool,
    advance: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Undo the import; `keep_touched`: leave the records touched since as they are. Returns what was done;
    `advance(done, total)` hears of each record restored and each kind deleted."""
    report = advance or (lambda done, total: None)
    with transaction.atomic():
        locked = Import.objects.for_account(account).select_for_update().filter(pk=import_.pk).first()
        if locked is None:
            raise NotFound(_("No such import."))
        if not can_undo(locked):
            raise Conflict(_("Only an import run in the last %(days)s days can be undone.") % {"days": UNDO_DAYS})
        plan = undo_plan(account=account, import_=locked)
        kept = plan.kept_keys if keep_touched else set()
        sources = {source.pk: source for source in Source.objects.for_account(account)}
        total = len(plan.updated) + plan.created_count
        done = restored = deleted = 0
        report(done, total)
        for restore in plan.updated:
            done += 1
            if (restore.kind, restore.record_id) not in kept and _restore(
                account=account, user=user, import_=locked, restore=restore, sources=sources
            ):
                restored += 1
                report(done, total)
        deleting = {kind: [pk for pk in ids if (kind, pk) not in kept] for kind, ids in plan.created.items()}
        for kind in DELETE_ORDER:
            if deleting.get(kind):
                deleted += _delete(account=account, kind=kind, ids=deleting[kind], deleting=deleting)
            done += len(plan.created.get(kind, []))
            report(done, total)
        outcome = {"deleted": deleted, "restored": restored, "kept": len(kept)}
        locked.state = ImportState.UNDONE
        locked.undone_at = timezone.now()
        locked.undone_by = user
        locked.undo_results = outcome
        locked.save(update_fields=["state", "undone_at", "undone_by", "undo_results"])
    import_.refresh_from_db()
    return outcome
