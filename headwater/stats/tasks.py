"""Background jobs of the statistics: recomputing an account's tallies after its time zone changed."""

from __future__ import annotations

from django.db import connection, transaction
from django_tasks import task

from headwater.jobs.models import Job
from headwater.jobs.services import job_advance, run_once
from headwater.stats import tally_sql
from headwater.stats.services import tallies_rebuild


def _record_count(account_id: int) -> int:
    with connection.cursor() as cursor:
        total = 0
        for table in tally_sql.RECORD_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table} WHERE account_id = %s", [account_id])  # noqa: S608 — our table names
            total += int(cursor.fetchone()[0])
        return total


@task()
def tallies_rebuild_task(job_id: int, account_id: int) -> None:
    """Recompute the account's tallies in its time zone as stored when this runs (so one run serves every change
    saved before it started). One transaction under the account's tally lock: all or nothing."""

    def body(job: Job) -> None:
        total = _record_count(account_id)
        job_advance(job=job, done=0, total=total, force=True)
        with transaction.atomic():
            tallies_rebuild(account_ids=[account_id])
        job_advance(job=job, done=total, force=True)

    run_once(job_id, body)
