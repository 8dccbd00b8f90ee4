"""Writes of the jobs app: create a job, enqueue its task, and the task's own reports (start, progress, end).

See the package docstring (headwater/jobs/__init__.py) for how a job is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.core.errors import DomainError
from headwater.core.models import Account
from headwater.jobs.models import Job, JobState
from headwater.users.models import User

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds) unless told otherwise: a job may report every row, cheaply.
PROGRESS_INTERVAL = 0.5

_last_write: dict[int, float] = {}


def _progress_db() -> str:
    """The connection progress goes through: its own on PostgreSQL (committed at once, whatever transaction the job
    holds open on `default`), the default one on SQLite (one writer at a time: a job reports between its
    transactions) and in tests (their data lives in the default connection's transaction)."""
    return "jobs" if "jobs" in connections.settings else "default"


def _write(job: Job, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    Job.unscoped.using(_progress_db()).filter(pk=job.pk).update(**fields)


def job_file_path(job: Job) -> Path:
    """Where the job's file is (or goes): JOB_FILES_DIR/<account>/<a random name>."""
    return Path(settings.JOB_FILES_DIR) / job.file_path


def job_files_prune(*, account: Account | None = None, now: dt.datetime | None = None) -> int:
    """Delete the files of jobs that ended more than JOB_FILES_KEEP_DAYS ago (of one account, or of all); their
    pages then say the file was deleted and offer nothing to download. Returns how many files went."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.JOB_FILES_KEEP_DAYS)
    expired = Job.unscoped.exclude(file_path="").filter(
        state__in=(JobState.DONE, JobState.FAILED), finished_at__lt=cutoff
    )
    if account is not None:
        expired = expired.filter(account=account)
    pruned = 0
    for job in expired.only("pk", "file_path"):
        job_file_path(job).unlink(missing_ok=True)
        # Only the row still naming this file: a concurrent prune cleared it already.
        pruned += Job.unscoped.filter(pk=job.pk, file_path=job.file_path).update(file_path="")
    return pruned


def job_new_file(*, job: Job, file_name: str, suffix: str) -> Path:
    """A new file for the job to write, under a name of ours; `file_name` is what it downloads as. Recorded on the
    job now (shown once the job is done). The account's expired job files go first, so they never pile up even
    where no one schedules `prune_job_files`."""
    job_files_prune(account=job.account)
    relative = Path(str(job.account_id)) / f"{secrets.token_hex(16)}{suffix}"
    path = Path(settings.JOB_FILES_DIR) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(job, file_path=str(relative), file_name=file_name[:255])
    return path


def job_create(
    *,
    account: Account,
    kind: str,
    label: str = "",
    user: User | None = None,
    total: int | None = None,
    request_key: str = "",
) -> Job:
    """A queued job; enqueue its task with `job_enqueue` (in the same transaction, so both or neither are kept)."""
    return Job.objects.create(
        account=account, kind=kind, label=label[:200], started_by=user, total=total, request_key=request_key[:64]
    )


def job_enqueue(*, job: Job, task: Any, **kwargs: Any) -> Job:
    """Queue `task` (a django-tasks `@task` whose function takes `job_id` and `kwargs`) for `job`.

    With the database backend the task row is written in the caller's transaction: committed with it, or not at all.
    With the immediate backend (tests) the task runs here and now.
    """
    result = task.enqueue(job_id=job.pk, **kwargs)
    Job.unscoped.filter(pk=job.pk).update(task_result_id=str(result.id))
    job.refresh_from_db()
    return job


def job_start(*, job: Job, total: int | None = None) -> Job:
    now = timezone.now()
    fields: dict[str, Any] = {"state": JobState.RUNNING, "started_at": now, "heartbeat_at": now, "done": 0}
    if total is not None:
        fields["total"] = total
    _write(job, **fields)
    _last_write[job.pk] = time.monotonic()
    return job


def job_advance(*, job: Job, done: int, total: int | None = None, force: bool = False) -> None:
    """Report progress: `done` items of `total` (None: unchanged). Cheap: at most one write per
    `PROGRESS_INTERVAL` seconds unless `force`; each write is also the job's heartbeat (see Job.is_stale)."""
    job.done = done
    if total is not None:
        job.total = total
    now_mono = time.monotonic()
    if not force and now_mono - _last_write.get(job.pk, 0.0) < PROGRESS_INTERVAL:
        return
    _last_write[job.pk] = now_mono
    _write(job, done=job.done, total=job.total, heartbeat_at=timezone.now())


def job_finish(*, job: Job) -> Job:
    now = timezone.now()
    done = job.total if job.total is not None else job.done
    _write(job, state=JobState.DONE, done=done, total=job.total, finished_at=now, heartbeat_at=now)
    _last_write.pop(job.pk, None)
    return job


def job_fail(*, job: Job, error: str) -> Job:
    """Mark the job failed with a message for its users (never a traceback: that goes to the log)."""
    now = timezone.now()
    _write(
        job,
        state=JobState.FAILED,
        done=job.done,
        total=job.total,
        error=error[:2000],
        finished_at=now,
        heartbeat_at=now,
    )
    _last_write.pop(job.pk, None)
    return job


@contextmanager
def job_running(job_id: int, *, total: int | None = None) -> Iterator[Job]:
    """The body of a task: starts the job, yields it for `job_advance`, then marks it done, or failed when the body
    raises (a DomainError's message is shown; anything else says the job failed, and is logged and re-raised so the
    queue records it too). A job already finished (run twice) is not run again: the body is skipped."""
    job = Job.unscoped.get(pk=job_id)
    if job.is_finished:
        raise JobAlreadyFinished(job)
    job_start(job=job, total=total)
    try:
        yield job
    except DomainError as exc:
        job_fail(job=job, error=exc.message)
        raise
    except BaseException:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        job_fail(job=job, error=_("The job stopped on an unexpected error."))
        raise
    job_finish(job=job)


class JobAlreadyFinished(Exception):
    def __init__(self, job: Job) -> None:
        super().__init__(f"job {job.pk} is already {job.state}")
        self.job = job


def run_once(job_id: int, body: Callable[[Job], None], *, total: int | None = None) -> None:
    """`job_running` for a task function: `body(job)` inside it; a job already finished is left as it is."""
    try:
        with job_running(job_id, total=total) as job:
            body(job)
    except JobAlreadyFinished:
        logger.info("Job %s already finished; not run again", job_id)


def job_fail_stale(*, account: Account) -> int:
    """Mark the account's stale running jobs (see Job.is_stale) failed in the database; returns how many."""
    count = 0
    for job in Job.objects.for_account(account).filter(state=JobState.RUNNING):
        if job.is_stale():
            job_fail(job=job, error=_("The job stopped: its worker was stopped or lost. Run it again."))
            count += 1
    return count
