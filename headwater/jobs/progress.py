"""What the progress fragment shows of a job: its page state, percent, rate and time left, computed once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from headwater.jobs.kinds import job_kind_title
from headwater.jobs.models import Job, JobState

# How often (seconds) the fragment asks for news while the job is queued or running.
POLL_SECONDS = 2


def progress_context(job: Job, *, then: str = "") -> dict[str, Any]:
    now = timezone.now()
    state = job.shown_state(now)
    rate = job.rate(now)
    left = job.seconds_left(now)
    return {
        "job": job,
        "title": job_kind_title(job.kind),
        "state": state,
        "polling": state in (JobState.QUEUED, JobState.RUNNING),
        "poll_seconds": POLL_SECONDS,
        "stale": job.is_stale(now),
        "percent": job.percent(),
        "rate": None if rate is None else round(rate),
        "minutes_left": None if left is None or left < 60 else round(left / 60),
        "seconds_left": None if left is None or left >= 60 else left,
        "then": then,
        "keep_days": settings.JOB_FILES_KEEP_DAYS,
    }
