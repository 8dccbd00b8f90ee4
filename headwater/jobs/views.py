"""A job's page (its progress, then its file), the progress fragment's own URL (htmx polls it while the job runs)
and the download of the file a job made. All scoped to the account: another account's job is not found."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from headwater.core.errors import NotFound
from headwater.jobs.kinds import job_kind_title
from headwater.jobs.models import JobState
from headwater.jobs.progress import progress_context
from headwater.jobs.selectors import job_file, job_get
from headwater.jobs.services import job_file_path
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


@account_view(read=Role.VIEWER, write=None)
def job_page(request: AccountRequest, job_id: int) -> HttpResponse:
    """One job: its progress bar while it runs (leave and come back: it goes on), then the link to its file."""
    try:
        job = job_get(account=request.account, job_id=job_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    back = request.GET.get("back", "")
    if not back.startswith(f"/a/{request.account.slug}/") or "//" in back[1:]:
        back = ""  # only a page of this account: never a link elsewhere
    return render(request, "jobs/job.html", {"job": job, "title": job_kind_title(job.kind), "back": back})


@account_view(read=Role.VIEWER, write=None)
def job_download(request: AccountRequest, job_id: int) -> HttpResponse:
    """The file a finished job made (an export), for the account's users only: 404 for anyone else's job."""
    try:
        job = job_file(account=request.account, job_id=job_id)
        handle = job_file_path(job).open("rb")
    except (NotFound, FileNotFoundError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=job.file_name)
    add_never_cache_headers(response)
    return response  # type: ignore[return-value]  # a file response is one too (streamed)
