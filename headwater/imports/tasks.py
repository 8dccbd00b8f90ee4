"""The import's background jobs: its run (step 6: import_execute inside the job, the import marked failed if it
fails) and its undo."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from headwater.imports import run, undo
from headwater.imports.models import Import, ImportState
from headwater.jobs.models import Job
from headwater.jobs.services import job_advance, run_once
from headwater.records.tasks import word_starts_job_start
from headwater.users.models import User

RUN_KIND = "imports.run"

logger = logging.getLogger(__name__)


def _word_starts_after(import_id: int) -> None:
    """The account grew (or shrank, by an undo): its word starts switched on or off if its size now asks for it, in
    a job of its own. Its failure leaves the import as it is (done): the scheduled `word_starts --fit` catches up."""
    import_ = Import.unscoped.select_related("account", "run_by").get(pk=import_id)
    try:
        word_starts_job_start(account=import_.account, user=import_.run_by)
    except Exception:
        logger.exception("Word starts after import %s not started", import_id)


@task()
def import_task(job_id: int, import_id: int) -> None:
    def body(job: Job) -> None:
        def advance(done: int, total: int | None) -> None:
            job_advance(job=job, done=done, total=total)

        try:
            total = run.count_rows(import_id=import_id)
            job_advance(job=job, done=0, total=total, force=True)
            run.import_execute(import_id=import_id, advance=advance, total=total)
        except BaseException:
            # A run that finds the import done already (another run of it finished first) leaves it done.
            Import.unscoped.filter(pk=import_id).exclude(state=ImportState.DONE).update(
                state=ImportState.FAILED, finished_at=timezone.now()
            )
            raise
        _word_starts_after(import_id)

    run_once(job_id, body)


@task()
def import_undo_task(job_id: int, import_id: int, user_id: int | None, keep_touched: bool) -> None:
    """The undo (imports/undo.py) inside the job: one transaction, so a failed or killed undo changes nothing."""

    def body(job: Job) -> None:
        import_ = Import.unscoped.select_related("account").get(pk=import_id)
        user = User.objects.filter(pk=user_id).first() if user_id is not None else None

        def advance(done: int, total: int) -> None:
            job_advance(job=job, done=done, total=total)

        undo.import_undo(
            account=import_.account, user=user, import_=import_, keep_touched=keep_touched, advance=advance
        )
        _word_starts_after(import_id)

    run_once(job_id, body)
