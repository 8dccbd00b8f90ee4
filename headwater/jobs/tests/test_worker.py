"""The real path: the database backend queues the task as a row, `manage.py db_worker` runs it."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from headwater.jobs import services
from headwater.jobs.models import JobState
from headwater.jobs.tests.tasks import KIND, count_task
from headwater.testing.jobs import DATABASE_TASKS, run_worker


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_job_waits_in_the_database_queue_until_the_worker_runs_it(tenant):
    job = services.job_create(account=tenant.account, kind=KIND, user=tenant.admin)
    job = services.job_enqueue(job=job, task=count_task, n=4)
    queued = DBTaskResult.objects.get(id=job.task_result_id)
    assert queued.status == TaskResultStatus.READY
    job.refresh_from_db()
    assert job.state == JobState.QUEUED

    run_worker()

    queued.refresh_from_db()
    job.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert (job.state, job.done, job.total) == (JobState.DONE, 4, 4)


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_failing_job_is_failed_in_both_the_queue_and_the_page(tenant):
    job = services.job_enqueue(
        job=services.job_create(account=tenant.account, kind=KIND), task=count_task, n=4, fail="crash"
    )
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert DBTaskResult.objects.get(id=job.task_result_id).status == TaskResultStatus.FAILED
