"""The job's life through its services: created, queued, run (immediate backend), progress, end, failure, death."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from headwater.jobs import services
from headwater.jobs.models import Job, JobState
from headwater.jobs.selectors import job_get, job_latest, job_pending, job_queued
from headwater.jobs.tests.tasks import KIND, count_task

pytestmark = pytest.mark.django_db


def _job(tenant, **kwargs):
    return services.job_create(account=tenant.account, kind=KIND, label="file.csv", user=tenant.admin, **kwargs)


def test_an_enqueued_job_runs_and_ends_done_with_its_counts(tenant):
    job = services.job_enqueue(job=_job(tenant), task=count_task, n=5)
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert (job.done, job.total) == (5, 5)
    assert job.started_by == tenant.admin
    assert job.task_result_id  # the queue's id, to find its row
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.started_at <= job.finished_at
    assert job.error == ""


def test_a_domain_error_fails_the_job_with_its_message(tenant):
    job = _job(tenant)
    with pytest.raises(Exception, match="Row 2"):
        count_task.call(job_id=job.pk, n=5, fail="domain")
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == "Row 2 has no name."
    assert job.done == 2


def test_an_unexpected_error_fails_the_job_without_a_traceback_for_the_user(tenant, caplog):
    job = services.job_enqueue(job=_job(tenant), task=count_task, n=5, fail="crash")
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == "The job stopped on an unexpected error."
    assert "boom" in caplog.text  # the traceback goes to the log


def test_a_finished_job_is_not_run_again(tenant):
    job = services.job_enqueue(job=_job(tenant), task=count_task, n=3)
    job.refresh_from_db()
    finished = job.finished_at
    count_task.call(job_id=job.pk, n=9)
    job.refresh_from_db()
    assert (job.state, job.done, job.finished_at) == (JobState.DONE, 3, finished)


def test_progress_writes_are_throttled_but_forced_ones_are_written(tenant, monkeypatch):
    job = _job(tenant)
    services.job_start(job=job, total=100)
    services.job_advance(job=job, done=10)  # within PROGRESS_INTERVAL of the start: kept in memory only
    assert Job.unscoped.get(pk=job.pk).done == 0
    services.job_advance(job=job, done=11, force=True)
    assert Job.unscoped.get(pk=job.pk).done == 11
    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0)
    services.job_advance(job=job, done=12)
    stored = Job.unscoped.get(pk=job.pk)
    assert (stored.done, stored.total, stored.state) == (12, 100, JobState.RUNNING)


@override_settings(JOB_STALE_AFTER_SECONDS=60)
def test_a_running_job_without_news_for_the_limit_is_shown_failed(tenant):
    """The rule for a worker killed mid-job: no heartbeat (start or progress) for JOB_STALE_AFTER_SECONDS."""
    job = _job(tenant)
    services.job_start(job=job, total=10)
    now = timezone.now()
    assert not job.is_stale(now + dt.timedelta(seconds=59))
    assert job.shown_state(now + dt.timedelta(seconds=59)) == JobState.RUNNING
    assert job.is_stale(now + dt.timedelta(seconds=61))
    assert job.shown_state(now + dt.timedelta(seconds=61)) == JobState.FAILED
    # A progress write is a heartbeat: the clock starts again.
    Job.unscoped.filter(pk=job.pk).update(heartbeat_at=now - dt.timedelta(seconds=61))
    job.refresh_from_db()
    assert job.is_stale()
    assert job_pending(account=tenant.account, kind=KIND) is None  # a dead job is not waited for
    assert services.job_fail_stale(account=tenant.account) == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "worker" in job.error


@override_settings(JOB_STALE_AFTER_SECONDS=60)
def test_a_queued_job_is_never_stale_it_waits_for_a_worker(tenant):
    job = _job(tenant)
    Job.unscoped.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    job.refresh_from_db()
    assert not job.is_stale()
    assert job_pending(account=tenant.account, kind=KIND) == job


def test_rate_and_time_left(tenant):
    job = _job(tenant, total=1000)
    start = timezone.now() - dt.timedelta(seconds=10)
    Job.unscoped.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=start, heartbeat_at=start, done=0)
    job.refresh_from_db()
    assert job.rate() is None  # nothing done yet: no rate to tell
    job.done, job.heartbeat_at = 250, start + dt.timedelta(milliseconds=500)
    assert job.rate() is None  # under a second: no rate worth showing yet
    job.done, job.heartbeat_at = 250, start + dt.timedelta(seconds=10)
    assert job.rate() == pytest.approx(25)
    assert job.seconds_left() == 30
    assert job.percent() == 25


def test_selectors_are_scoped_to_the_account(tenant, other_tenant):
    mine = _job(tenant)
    theirs = services.job_create(account=other_tenant.account, kind=KIND)
    assert job_get(account=tenant.account, job_id=mine.pk) == mine
    with pytest.raises(Exception, match="No such job"):
        job_get(account=tenant.account, job_id=theirs.pk)
    assert job_latest(account=tenant.account, kind=KIND) == mine
    assert job_queued(account=tenant.account, kind=KIND) == mine
    assert job_latest(account=tenant.account, kind="other") is None
