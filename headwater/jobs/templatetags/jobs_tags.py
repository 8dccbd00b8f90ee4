"""`{% job_progress job %}`: the reusable progress fragment (jobs/_progress.html). See headwater/jobs/__init__.py."""

from __future__ import annotations

from typing import Any

from django import template

from headwater.jobs.models import Job
from headwater.jobs.progress import progress_context

register = template.Library()


@register.inclusion_tag("jobs/_progress.html", takes_context=True)
def job_progress(context: template.Context, job: Job, then: str = "") -> dict[str, Any]:
    """The job's progress bar, polling while it runs. `then="reload"`: reload the page once the job is done."""
    return {**progress_context(job, then=then), "current_account": context.get("current_account")}
