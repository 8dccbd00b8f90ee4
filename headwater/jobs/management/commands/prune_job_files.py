"""`manage.py prune_job_files`: delete the files of jobs that ended more than JOB_FILES_KEEP_DAYS ago.

Each job that makes a file prunes its account's expired files first; schedule this (daily, beside django-tasks-db's
`prune_db_task_results`) so an account that stops exporting does not keep its old files either.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from headwater.jobs.services import job_files_prune


class Command(BaseCommand):
    help = "Delete the files (exports) of jobs that ended more than JOB_FILES_KEEP_DAYS days ago."

    def handle(self, *args: Any, **options: Any) -> None:
        pruned = job_files_prune()
        self.stdout.write(f"Deleted {pruned} job files older than {settings.JOB_FILES_KEEP_DAYS} days.")
