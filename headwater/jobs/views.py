"""The progress fragment's own URL: htmx polls it while the job runs."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from headwater.core.errors import NotFound
from headwater.jobs.models import JobState
from headwater.jobs.progress import progress_context
from headwater.jobs.selectors import job_get
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role


@account_view(read=Role.VIEWER, write=None)
def job_progress(request: AccountRequest, job_id: int) -> HttpResponse:
    """The progress fragment of one job (jobs/_progress.html). `?then=reload`: once the job is done, htmx reloads the
    page that shows it (HX-Refresh), so the page can show what the job produced."""
    try:
        job = job_get(account=request.account, job_id=job_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    then = "reload" if request.GET.get("then") == "reload" else ""
    context = progress_context(job, then=then)
    response = render(request, "jobs/_progress.html", context)
    if then and context["state"] == JobState.DONE and request.htmx:
        response["HX-Refresh"] = "true"
    return response
