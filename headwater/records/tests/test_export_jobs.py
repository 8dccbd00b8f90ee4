"""A big list's XLSX export runs as a job (progress, then a download link on the job's page); a small one is answered
at once and the CSV always streams. The file is the account's: another account's users get 404."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from headwater.jobs.models import Job, JobState
from headwater.jobs.services import job_file_path
from headwater.records.registry import record_kinds
from headwater.records.tasks import EXPORT_KIND
from headwater.testing.factories import RecordFactory

pytestmark = pytest.mark.django_db

FACTORIES = {factory._meta.model: factory for factory in RecordFactory.__subclasses__()}
KINDS = [pytest.param(kind, id=kind.noun) for kind in record_kinds()]


@pytest.fixture(autouse=True)
def small_threshold(settings, tmp_path):
    settings.EXPORT_XLSX_JOB_ROWS = 2
    settings.JOB_FILES_DIR = tmp_path / "job-files"


def make(kind: Any, account: Any, name: str) -> Any:
    return FACTORIES[kind.model](account=account, **{kind.name_fields[-1]: name})


def sheet_of(content: bytes) -> list[list[Any]]:
    rows: list[list[Any]] = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    return rows


@pytest.mark.parametrize("kind", KINDS)
def test_a_big_lists_xlsx_is_a_job_whose_page_links_the_file(tenant, other_tenant, kind):
    for name in ("Alpha one", "Alpha two", "Alpha three", "Beta"):
        make(kind, tenant.account, name)
    make(kind, other_tenant.account, "Alpha theirs")
    client = tenant.client_for("viewer")
    response = client.get(tenant.url(f"{kind.app}/export.xlsx?q=alpha"))
    assert response.status_code == 302
    job = Job.objects.for_account(tenant.account).get(kind=EXPORT_KIND)
    assert (job.state, job.done, job.total, job.started_by_id) == (JobState.DONE, 3, 3, tenant.viewer.pk)
    location = urlsplit(response["Location"])
    assert location.path == reverse("jobs:detail", kwargs={"account_slug": tenant.account.slug, "job_id": job.pk})
    assert parse_qs(location.query)["back"] == [tenant.url(f"{kind.app}/") + "?q=alpha"]
    page = client.get(response["Location"])
    download = reverse("jobs:download", kwargs={"account_slug": tenant.account.slug, "job_id": job.pk})
    assert download.encode() in page.content
    assert f'href="{tenant.url(kind.app + "/")}?q=alpha"'.encode() in page.content
    file = client.get(download)
    assert file.status_code == 200
    assert file["Content-Disposition"].startswith("attachment;")
    assert file["Content-Disposition"].endswith('.xlsx"')
    assert "no-store" in file["Cache-Control"] or file["Cache-Control"].startswith("max-age=0")
    rows = sheet_of(b"".join(file.streaming_content))
    names = sorted(cell for row in rows[1:] for cell in row if isinstance(cell, str) and cell.startswith("Alpha"))
    assert names == ["Alpha one", "Alpha three", "Alpha two"]
    # The same list's small export and its CSV are answered at once.
    small = client.get(tenant.url(f"{kind.app}/export.xlsx?q=beta"))
    assert small.status_code == 200
    assert len(sheet_of(b"".join(small.streaming_content))) == 2
    assert client.get(tenant.url(f"{kind.app}/export.csv?q=alpha")).streaming


def test_another_accounts_users_get_404_for_the_job_its_page_and_its_file(tenant, other_tenant):
    kind = record_kinds()[0]
    for name in ("A", "B", "C"):
        make(kind, tenant.account, name)
    tenant.client_for("member").get(tenant.url(f"{kind.app}/export.xlsx"))
    job = Job.objects.for_account(tenant.account).get(kind=EXPORT_KIND)
    stranger = other_tenant.client_for("admin")
    for name in ("jobs:detail", "jobs:download", "jobs:progress"):
        ours = reverse(name, kwargs={"account_slug": tenant.account.slug, "job_id": job.pk})
        theirs = reverse(name, kwargs={"account_slug": other_tenant.account.slug, "job_id": job.pk})
        assert stranger.get(ours).status_code == 404
        assert stranger.get(theirs).status_code == 404
        assert tenant.client_for("viewer").get(ours).status_code == 200


def test_a_job_without_a_file_or_not_done_has_no_download(tenant):
    kind = record_kinds()[0]
    for name in ("A", "B", "C"):
        make(kind, tenant.account, name)
    tenant.client_for("member").get(tenant.url(f"{kind.app}/export.xlsx"))
    job = Job.objects.for_account(tenant.account).get(kind=EXPORT_KIND)
    download = reverse("jobs:download", kwargs={"account_slug": tenant.account.slug, "job_id": job.pk})
    client = tenant.client_for("viewer")
    Job.unscoped.filter(pk=job.pk).update(state=JobState.RUNNING)
    assert client.get(download).status_code == 404
    Job.unscoped.filter(pk=job.pk).update(state=JobState.DONE)
    job_file_path(job).unlink()
    assert client.get(download).status_code == 404


def test_a_bad_filter_is_a_400_and_starts_no_job(tenant):
    kind = record_kinds()[0]
    response = tenant.client_for("viewer").get(tenant.url(f"{kind.app}/export.xlsx?created_from=yesterday"))
    assert response.status_code == 400
    assert not Job.objects.for_account(tenant.account).exists()


def test_the_back_link_only_goes_to_a_page_of_the_account(tenant):
    kind = record_kinds()[0]
    for name in ("A", "B", "C"):
        make(kind, tenant.account, name)
    tenant.client_for("member").get(tenant.url(f"{kind.app}/export.xlsx"))
    job = Job.objects.for_account(tenant.account).get(kind=EXPORT_KIND)
    page = reverse("jobs:detail", kwargs={"account_slug": tenant.account.slug, "job_id": job.pk})
    client = tenant.client_for("viewer")
    for back in ("https://evil.example/", "//evil.example/a/alpha/", "/a/bravo/companies/"):
        assert client.get(page, {"back": back}).context["back"] == ""
