"""Reads of the jobs app: an account's jobs, always scoped to it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from headwater.core.compiled import CompiledQuery
from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.jobs.models import Job, JobState
from headwater.users.models import User


def job_get(*, account: Account, job_id: int) -> Job:
    """The account's job, or NotFound (another account's job is not found either)."""
    job = Job.objects.for_account(account).filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("No such job."))
    return job


def job_file(*, account: Account, job_id: int) -> Job:
    """The account's finished job that made a file (its download), or NotFound."""
    job = job_get(account=account, job_id=job_id)
    if job.state != JobState.DONE or not job.file_path:
        raise NotFound(_("No such file."))
    return job


def _latest(account: Account, kind: str) -> QuerySet[Job]:
    return Job.objects.for_account(account).filter(kind=kind).order_by("-created_at", "-pk")[:1]


# Every Statistics page asks whether its tallies are being recomputed: compiled once (core.compiled); building the
# queryset cost more than the database's answer.
_LATEST: CompiledQuery[Job] = CompiledQuery(
    lambda account_id, kind: _latest(Account(pk=account_id), kind), account_id=int, kind=str
)


def job_latest(*, account: Account, kind: str) -> Job | None:
    """The account's most recent job of `kind`."""
    found = _LATEST(account_id=account.pk, kind=kind)
    return found[0] if found else None


def job_queued(*, account: Account, kind: str) -> Job | None:
    """A job of `kind` not yet taken by a worker: a second request for the same work can rely on it instead."""
    return Job.objects.for_account(account).filter(kind=kind, state=JobState.QUEUED).order_by("-pk").first()


def job_pending(*, account: Account, kind: str) -> Job | None:
    """The latest job of `kind` while it is queued or running (and not stale); None once it ended or died."""
    job = job_latest(account=account, kind=kind)
    if job is None or job.is_finished or job.is_stale():
        return None
    return job


def job_same_request(*, account: Account, kind: str, user: User | None, request_key: str) -> Job | None:
    """The user's job of `kind` for the same request (`request_key`) while it is queued or running (and not stale):
    a second click on the same work joins it."""
    if not request_key:
        return None
    candidates = Job.objects.for_account(account).filter(
        kind=kind, started_by=user, request_key=request_key, state__in=(JobState.QUEUED, JobState.RUNNING)
    )
    return next((job for job in candidates.order_by("-pk")[:5] if not job.is_stale()), None)
