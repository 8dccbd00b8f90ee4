"""The progress fragment: what it says in each state, in English and Polish, and when it stops polling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from headwater.jobs import services
from headwater.jobs.models import Job, JobState
from headwater.jobs.tests.tasks import KIND

pytestmark = pytest.mark.django_db


def _url(tenant, job, query=""):
    return reverse("jobs:progress", kwargs={"account_slug": tenant.account.slug, "job_id": job.pk}) + query


def _running(tenant, *, done=250, total=1000, seconds=10, label="klienci.csv"):
    job = services.job_create(account=tenant.account, kind=KIND, label=label, total=total)
    start = timezone.now() - dt.timedelta(seconds=seconds)
    Job.unscoped.filter(pk=job.pk).update(
        state=JobState.RUNNING, started_at=start, heartbeat_at=timezone.now(), done=done
    )
    return Job.unscoped.get(pk=job.pk)


def test_a_running_job_shows_its_bar_counts_rate_and_time_left_and_polls(tenant, viewer_client):
    job = _running(tenant)
    html = viewer_client.get(_url(tenant, job)).content.decode()
    assert f'<progress aria-labelledby="job-{job.pk}-title" max="100" value="25">' in html
    assert "klienci.csv" in html
    assert "250 of 1,000 rows" in html
    assert "25 rows/s" in html
    assert "about 30 seconds left" in html
    assert 'hx-trigger="every 2s"' in html
    assert _url(tenant, job) in html  # it polls itself


def test_the_fragment_speaks_polish(tenant, viewer_client):
    tenant.viewer.language = "pl"
    tenant.viewer.save()
    job = _running(tenant, done=2500, total=10000, seconds=100)
    html = viewer_client.get(_url(tenant, job)).content.decode()
    assert "2\xa0500 z 10\xa0000 wierszy" in html
    assert "25 wierszy/s" in html
    assert "około 5 minut do końca" in html


def test_a_finished_job_stops_polling(tenant, viewer_client):
    job = _running(tenant, done=1000)
    services.job_finish(job=job)
    html = viewer_client.get(_url(tenant, job)).content.decode()
    assert "hx-trigger" not in html
    assert "Done: 1,000 rows." in html
    assert 'value="100"' in html


def test_a_done_job_asked_to_reload_the_page_tells_htmx_so(tenant, viewer_client):
    job = _running(tenant)
    response = viewer_client.get(_url(tenant, job, "?then=reload"), headers={"HX-Request": "true"})
    assert "HX-Refresh" not in response  # still running
    assert "?then=reload" in response.content.decode()
    services.job_finish(job=job)
    response = viewer_client.get(_url(tenant, job, "?then=reload"), headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"


def test_a_failed_job_shows_its_message(tenant, viewer_client):
    job = _running(tenant)
    services.job_fail(job=job, error="Row 7: the e-mail is not valid.")
    html = viewer_client.get(_url(tenant, job)).content.decode()
    assert "Failed: Row 7: the e-mail is not valid." in html
    assert "hx-trigger" not in html


@override_settings(JOB_STALE_AFTER_SECONDS=60)
def test_a_job_whose_worker_died_shows_failed_not_running_forever(tenant, viewer_client):
    job = _running(tenant)
    Job.unscoped.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(seconds=61))
    html = viewer_client.get(_url(tenant, job)).content.decode()
    assert "its worker was stopped or lost" in html
    assert "hx-trigger" not in html
    assert Job.unscoped.get(pk=job.pk).state == JobState.RUNNING  # a read changes nothing


def test_a_queued_job_waits_for_a_worker(tenant, viewer_client):
    job = services.job_create(account=tenant.account, kind=KIND)
    html = viewer_client.get(_url(tenant, job)).content.decode()
    assert "Waiting for a worker" in html
    assert f'<progress aria-labelledby="job-{job.pk}-title"></progress>' in html  # indeterminate: no value
    assert 'hx-trigger="every 2s"' in html


def test_another_accounts_job_is_not_found(tenant, other_tenant, viewer_client):
    theirs = services.job_create(account=other_tenant.account, kind=KIND)
    assert viewer_client.get(_url(tenant, theirs)).status_code == 404
    assert viewer_client.get(_url(other_tenant, theirs)).status_code == 404  # not a member there
