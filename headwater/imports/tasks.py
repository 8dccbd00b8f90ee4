"""The import's background job (step 6): import_execute inside the job, the import marked failed if it fails."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from headwater.imports import run
from headwater.imports.models import Import, ImportState
from headwater.jobs.models import Job
from headwater.jobs.services import job_advance, run_once

RUN_KIND = "imports.run"


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

    run_once(job_id, body)
