"""Tasks the jobs tests enqueue (a task must be a module-level function)."""

from __future__ import annotations

import time

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


@task()
def slow_task(job_id: int, seconds: float) -> None:
    """Reports, then works for `seconds`: long enough to be killed in the middle."""

    def body(job: Job) -> None:
        job_advance(job=job, done=1, total=10, force=True)
        time.sleep(seconds)
        job_advance(job=job, done=10, force=True)

    run_once(job_id, body)
