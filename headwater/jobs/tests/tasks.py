"""Tasks the jobs tests enqueue (a task must be a module-level function)."""

from __future__ import annotations

from django_tasks import task

from headwater.core.errors import ValidationFailed
from headwater.jobs.models import Job
from headwater.jobs.services import job_advance, run_once

KIND = "tests.count"


@task()
def count_task(job_id: int, n: int, fail: str = "") -> None:
    def body(job: Job) -> None:
        for i in range(1, n + 1):
            job_advance(job=job, done=i, total=n)
            if fail == "domain" and i == 2:
                raise ValidationFailed("Row 2 has no name.")
            if fail == "crash" and i == 2:
                raise RuntimeError("boom")

    run_once(job_id, body)
