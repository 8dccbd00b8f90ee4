"""The records' background jobs: a big list's XLSX export (see records/exports.py), written to a file the user
downloads from the job's page; and an account's word starts switched on or off as its size asks (after an import,
records/word_starts.py)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.core.pagination import Ordering, ordering_from_param
from headwater.jobs.models import Job
from headwater.jobs.selectors import job_pending, job_same_request
from headwater.jobs.services import job_advance, job_create, job_enqueue, job_new_file, run_once
from headwater.records.bulk import bulk_targets
from headwater.records.exports import export_filename, record_export_to
from headwater.records.registry import RecordKind, kind_of
from headwater.records.word_starts import word_starts_apply, word_starts_due
from headwater.users.models import User

if TYPE_CHECKING:
    from headwater.records.views import RecordPages

EXPORT_KIND = "records.export_xlsx"
WORD_STARTS_KIND = "records.word_starts"


def export_targets(
    pages: RecordPages[Any], *, account: Account, params: QueryDict
) -> tuple[RecordKind, QuerySet[Any], Ordering]:
    """The records a list's export holds: its URL's filters and sort (ValidationFailed naming a bad filter)."""
    form = pages.filter_form(params, account=account)
    if not form.is_valid():
        raise ValidationFailed(
            "\n".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())
        )
    _sort, ordering = ordering_from_param(params.get("sort"), pages.sorts, pages.default_sort)
    kind = kind_of(pages.noun)
    return kind, bulk_targets(kind, account=account, filters=form.filters()), ordering


def export_job_start(*, account: Account, user: User | None, noun: str, query: str, language: str, total: int) -> Job:
    """Queue the XLSX export of a list (`query`: its URL's filters and sort) as a job; its file is the job's. The
    same user asking for the same export while it is still under way gets that job, not a second one."""
    kind = kind_of(noun)
    key = hashlib.sha256("\n".join((noun, query, language)).encode()).hexdigest()
    with transaction.atomic():
        if user is not None:
            # Two clicks at once: the second waits here for the first's job, then finds it.
            User.objects.select_for_update().filter(pk=user.pk).exists()
        same = job_same_request(account=account, kind=EXPORT_KIND, user=user, request_key=key)
        if same is not None:
            return same
        job = job_create(
            account=account,
            kind=EXPORT_KIND,
            label=export_filename(kind, account, "xlsx"),
            user=user,
            total=total,
            request_key=key,
        )
        job_enqueue(job=job, task=export_xlsx_task, account_id=account.pk, noun=noun, query=query, language=language)
    job.refresh_from_db()
    return job


@task()
def export_xlsx_task(job_id: int, account_id: int, noun: str, query: str, language: str) -> None:
    def body(job: Job) -> None:
        account = Account.objects.get(pk=account_id)
        pages = kind_of(noun).pages
        if pages is None:
            raise ValidationFailed(_("This list cannot be exported."))
        with translation.override(language):
            kind, qs, ordering = export_targets(pages, account=account, params=QueryDict(query))
            job_advance(job=job, done=0, total=qs.count(), force=True)
            path = job_new_file(job=job, file_name=export_filename(kind, account, "xlsx"), suffix=".xlsx")

            def advance(done: int) -> None:
                job_advance(job=job, done=done)

            try:
                record_export_to(path, kind, account=account, qs=qs, ordering=ordering, advance=advance)
            except BaseException:
                path.unlink(missing_ok=True)
                raise

    run_once(job_id, body)


def word_starts_job_start(*, account: Account, user: User | None = None) -> Job | None:
    """After an account grew or shrank by many records (an import, its undo): a job that switches its word starts
    on or off when the size rule asks for it (two bounded counts to find out; nothing off PostgreSQL), or the one
    already queued or running. None when nothing is due."""
    due = word_starts_due(account_ids=[account.pk])
    if not due:
        return None
    with transaction.atomic():
        # Two imports ending at once: the second waits here for the first's job, then finds it.
        Account.objects.select_for_update().filter(pk=account.pk).exists()
        pending = job_pending(account=account, kind=WORD_STARTS_KIND)
        if pending is not None:
            return pending
        job = job_create(
            account=account,
            kind=WORD_STARTS_KIND,
            user=user,
            total=sum(s.records for s in due if s.on) or None,
        )
        job_enqueue(job=job, task=word_starts_task, account_id=account.pk)
    job.refresh_from_db()
    return job


@task()
def word_starts_task(job_id: int, account_id: int) -> None:
    """The switches due when it runs (an earlier job may have made them): a big account's build reports the records
    written, batch by batch."""

    def body(job: Job) -> None:
        due = word_starts_due(account_ids=[account_id])
        total = sum(s.records for s in due if s.on)
        job_advance(job=job, done=0, total=total, force=True)

        def advance(done: int, total: int) -> None:
            job_advance(job=job, done=done, total=total)

        word_starts_apply(due, advance=advance)

    run_once(job_id, body)
