"""The time-zone change through the real queue: the settings page queues the recomputation, a worker runs it.

Until it is done the Statistics page shows no figure (some records would count on the wrong day) but the job's
progress, and reloads itself when it ends. The other zone tests run it at once (the immediate backend).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from headwater.jobs.models import Job, JobState
from headwater.stats.models import TALLIES_REBUILD
from headwater.stats.tally_drift import tally_drift
from headwater.stats.tests.test_zone_change import figures, records, settings_form  # noqa: F401 — `records` is the fixture the tests use
from headwater.testing.api import api_for
from headwater.testing.jobs import DATABASE_TASKS, run_worker


def _change_zone(tenant, zone: str):
    tenant.account.refresh_from_db()
    response = tenant.client_for("admin").post(tenant.url("settings/"), settings_form(tenant.account, time_zone=zone))
    assert response.status_code == 302, response.content
    return response


def _rebuilds(tenant):
    return list(Job.objects.for_account(tenant.account).filter(kind=TALLIES_REBUILD).order_by("pk"))


@pytest.mark.usefixtures("records")
@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_the_settings_page_queues_the_recomputation_and_statistics_wait_for_it(tenant):
    response = _change_zone(tenant, "America/New_York")
    said = [str(m) for m in response.wsgi_request._messages]
    assert "The statistics are being recomputed for the new time zone; Statistics shows the progress." in said
    [job] = _rebuilds(tenant)
    assert (job.state, job.label, job.started_by) == (JobState.QUEUED, "America/New_York", tenant.admin)
    assert DBTaskResult.objects.get(id=job.task_result_id).status == "READY"
    assert tally_drift(account_ids=[tenant.account.pk])  # not yet recomputed: the stored tallies are Warsaw's

    page = tenant.client_for("viewer").get(tenant.url("stats/sources/"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "the figures are being recomputed" in html
    assert "stats" not in page.context or page.context.get("stats") is None  # no inexact figure is shown
    assert f"/jobs/{job.pk}/progress/?then=reload" in html
    assert "Waiting for a worker" in html

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.DONE, "")
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    call_command("stats_tallies", "--check")
    # The figures are back, counted in New York.
    assert figures(tenant, "2025-03-31", "2025-03-31") == (1, 1, 1, 0, None)
    assert figures(tenant, "2025-04-01", "2025-04-30") == (0, 0, 0, 1, Decimal("3.0"))


@pytest.mark.usefixtures("records")
@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_second_change_while_the_job_is_queued_is_served_by_the_same_job(tenant):
    _change_zone(tenant, "America/New_York")
    _change_zone(tenant, "Asia/Tokyo")
    [job] = _rebuilds(tenant)
    assert job.label == "Asia/Tokyo"
    assert DBTaskResult.objects.count() == 1
    run_worker()
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    # 31 March 23:30 UTC is 1 April 08:30 in Tokyo.
    assert figures(tenant, "2025-04-01", "2025-04-01") == (1, 1, 1, 0, None)


@pytest.mark.usefixtures("records")
@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_a_change_while_the_job_runs_queues_another(tenant):
    """A running job may have read the old zone: the second change gets its own job, run after it."""
    _change_zone(tenant, "America/New_York")
    [first] = _rebuilds(tenant)
    Job.unscoped.filter(pk=first.pk).update(
        state=JobState.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    _change_zone(tenant, "Asia/Tokyo")
    second = _rebuilds(tenant)[1]
    assert (second.state, second.label) == (JobState.QUEUED, "Asia/Tokyo")
    Job.unscoped.filter(pk=first.pk).update(state=JobState.QUEUED)  # as if the worker had not got to it yet
    run_worker()
    assert [j.state for j in _rebuilds(tenant)] == [JobState.DONE, JobState.DONE]
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    assert figures(tenant, "2025-04-01", "2025-04-01") == (1, 1, 1, 0, None)


@pytest.mark.usefixtures("records")
@pytest.mark.django_db
@override_settings(JOB_STALE_AFTER_SECONDS=60)
def test_a_recomputation_whose_worker_died_is_shown_failed_and_an_admin_can_run_it_again(tenant):
    dead = Job.objects.create(
        account=tenant.account,
        kind=TALLIES_REBUILD,
        state=JobState.RUNNING,
        started_at=timezone.now() - dt.timedelta(minutes=5),
        heartbeat_at=timezone.now() - dt.timedelta(minutes=5),
    )
    viewer_page = tenant.client_for("viewer").get(tenant.url("stats/sources/")).content.decode()
    assert "could not be recomputed" in viewer_page
    assert "Ask an admin" in viewer_page
    assert "Recompute now" not in viewer_page
    admin = tenant.client_for("admin")
    assert "Recompute now" in admin.get(tenant.url("stats/sources/")).content.decode()
    assert tenant.client_for("member").post(tenant.url("stats/recompute/")).status_code == 403

    response = admin.post(tenant.url("stats/recompute/"))
    assert response.status_code == 302
    dead.refresh_from_db()
    assert (dead.state, dead.error) == (
        JobState.FAILED,
        "The job stopped: its worker was stopped or lost. Run it again.",
    )
    latest = _rebuilds(tenant)[-1]
    assert latest.pk != dead.pk
    assert latest.state == JobState.DONE  # the immediate backend ran it
    assert figures(tenant, "2025-04-01", "2025-04-30") == (1, 1, 1, 1, Decimal("2.0"))


@pytest.mark.usefixtures("records")
@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_the_api_and_the_exports_give_no_figures_while_the_job_is_pending(tenant):
    """Readers without a page to show the progress on get a 503 saying why and when to retry, never the old zone's
    figures; once the worker ran they get the figures again."""
    _change_zone(tenant, "America/New_York")
    api = api_for(tenant, "viewer")
    for path in ("/stats/sources", "/stats/sources.csv"):
        response = api.get(path)
        assert response.status_code == 503, path
        assert response["Retry-After"] == "5"
        body = response.json()["error"]
        assert body["code"] == "unavailable"
        assert "being recomputed for the account's new time zone" in body["message"]
    viewer = tenant.client_for("viewer")
    for path in ("stats/sources/export.csv", "stats/sources/export.xlsx"):
        response = viewer.get(tenant.url(path))
        assert response.status_code == 503, path
        assert response["Content-Type"].startswith("text/html")
        assert "the figures are being recomputed" in response.content.decode()

    Job.objects.for_account(tenant.account).filter(kind=TALLIES_REBUILD).update(
        state=JobState.RUNNING, heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )  # its worker died: shown as failed
    response = api.get("/stats/sources")
    assert (response.status_code, response["Retry-After"]) == (503, "60")
    assert "recomputation for the account's new time zone failed" in response.json()["error"]["message"]

    Job.objects.for_account(tenant.account).filter(kind=TALLIES_REBUILD).update(state=JobState.QUEUED)
    run_worker()
    assert api.get("/stats/sources").status_code == 200
    response = api.get("/stats/sources.csv")
    assert response.status_code == 200
    assert viewer.get(tenant.url("stats/sources/export.xlsx")).status_code == 200
