"""On PostgreSQL progress goes through its own connection (the `jobs` alias): a page sees it while the job's own
transaction is still open. The test settings leave the alias out (a test's data lives in its transaction); this
test adds it, as config/settings/base.py does outside tests."""

from __future__ import annotations

import pytest
from django.db import connection, connections, transaction

from headwater.jobs import services
from headwater.jobs.models import Job

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer: progress waits for commit"),
]


@pytest.fixture
def jobs_alias():
    connections.settings["jobs"] = {**connection.settings_dict}
    # Connected here, by hand: Django's test case refuses a first connection to an alias it was not told about.
    connections["jobs"].connect()
    try:
        yield
    finally:
        if "jobs" in connections:
            connections["jobs"].close()
        del connections.settings["jobs"]
        connections._connections.__dict__.pop("jobs", None)


def _seen_from_elsewhere(job: Job) -> int:
    """`done` as another session (a page) reads it: a fresh connection of its own."""
    reader = connection.copy()
    try:
        with reader.cursor() as cursor:
            cursor.execute("SELECT done FROM jobs_job WHERE id = %s", [job.pk])
            return int(cursor.fetchone()[0])
    finally:
        reader.close()


def test_progress_is_committed_while_the_jobs_transaction_is_open(tenant, jobs_alias):
    job = services.job_create(account=tenant.account, kind="tests.count")
    services.job_start(job=job, total=10)
    with transaction.atomic():  # the job's own, all-or-nothing work
        tenant.account.name = "Renamed inside the job"
        tenant.account.save()
        services.job_advance(job=job, done=5, force=True)
        assert _seen_from_elsewhere(job) == 5
    assert Job.unscoped.get(pk=job.pk).done == 5


def test_without_the_alias_progress_waits_for_the_jobs_commit(tenant):
    job = services.job_create(account=tenant.account, kind="tests.count")
    services.job_start(job=job, total=10)
    with transaction.atomic():
        services.job_advance(job=job, done=5, force=True)
        assert _seen_from_elsewhere(job) == 0
    assert _seen_from_elsewhere(job) == 5
