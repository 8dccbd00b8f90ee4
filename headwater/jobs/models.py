"""`Job`: what a user sees of a long job (its progress, its end), one row per run. See the package docstring."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(TenantModel):
    """One run of a background job of an account, as its users see it.

    The queue itself (the task, its arguments, the worker that took it) is django-tasks' `DBTaskResult`; this row is
    ours: tenant-owned, translated on the page, kept after the queue prunes its results.
    """

    kind = models.CharField(_("kind"), max_length=50)
    label = models.CharField(_("label"), max_length=200, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    state = models.CharField(_("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # The last sign of life of a running job (its start, each progress write): see `is_stale`.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    task_result_id = models.CharField(_("task result"), max_length=64, blank=True)
    # A file the job made for its users (relative to JOB_FILES_DIR, a name of ours) and the name it downloads as.
    file_path = models.CharField(max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    # What was asked (a digest of the work's arguments), so a second click on the same export while the first one
    # is still under way joins it instead of starting the same work twice.
    request_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [models.Index(fields=["account", "kind", "-created_at"], name="job_account_kind_created")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def file_expired(self) -> bool:
        """A finished job whose file was deleted after JOB_FILES_KEEP_DAYS (see `job_files_prune`)."""
        return self.state == JobState.DONE and bool(self.file_name) and not self.file_path

    def is_stale(self, now: dt.datetime | None = None) -> bool:
        """A running job whose worker stopped giving signs of life (killed, lost with its machine): no progress for
        `JOB_STALE_AFTER_SECONDS`. Shown as failed; a queued job only waits for a worker and is never stale."""
        if self.state != JobState.RUNNING:
            return False
        last = self.heartbeat_at or self.started_at or self.created_at
        limit = dt.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
        return (now or timezone.now()) - last > limit

    def shown_state(self, now: dt.datetime | None = None) -> str:
        """The state a page shows: a stale running job is failed."""
        return str(JobState.FAILED) if self.is_stale(now) else str(self.state)

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.state == JobState.DONE else None
        return min(100, int(self.done * 100 / self.total))

    def rate(self, now: dt.datetime | None = None) -> float | None:
        """Items per second from the start to the last report (None before a second's worth to measure)."""
        if self.started_at is None or not self.done:
            return None
        end = self.finished_at or self.heartbeat_at or now or timezone.now()
        seconds = (end - self.started_at).total_seconds()
        return self.done / seconds if seconds >= 1 else None

    def seconds_left(self, now: dt.datetime | None = None) -> int | None:
        rate = self.rate(now)
        if self.state != JobState.RUNNING or rate is None or self.total is None:
            return None
        return max(0, round((self.total - self.done) / rate))
