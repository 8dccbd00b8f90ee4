"""A big list's XLSX export runs as a job (progress, then a download link on the job's page); a small one is answered
at once and the CSV always streams. The file is the account's: another account's users get 404."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
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


def _export_job_ids(tenant):
    return list(
        Job.objects.for_account(tenant.account).filter(kind=EXPORT_KIND).order_by("pk").values_list("pk", flat=True)
    )


def test_a_second_click_on_an_export_under_way_joins_its_job(tenant):
    kind = record_kinds()[0]
    for name in ("Apple 1", "Apple 2", "Apple 3"):
        make(kind, tenant.account, name)
    member = tenant.client_for("member")
    first = member.get(tenant.url(f"{kind.app}/export.xlsx?q="))
    [job_id] = _export_job_ids(tenant)
    # Still running (the test backend runs it at once): the same click, by the same user, lands on the same job.
    Job.unscoped.filter(pk=job_id).update(state=JobState.RUNNING, heartbeat_at=timezone.now())
    again = member.get(tenant.url(f"{kind.app}/export.xlsx?q="))
    assert again.status_code == 302
    assert urlsplit(again["Location"]).path == urlsplit(first["Location"]).path
    assert _export_job_ids(tenant) == [job_id]
    # Another filter, another user, or the same export once the first has ended: new work, a new job.
    member.get(tenant.url(f"{kind.app}/export.xlsx?q=Apple"))
    tenant.client_for("admin").get(tenant.url(f"{kind.app}/export.xlsx?q="))
    assert len(_export_job_ids(tenant)) == 3
    Job.unscoped.filter(pk=job_id).update(state=JobState.DONE, finished_at=timezone.now())
    member.get(tenant.url(f"{kind.app}/export.xlsx?q="))
    assert len(_export_job_ids(tenant)) == 4


def test_a_job_stopped_giving_news_is_not_joined(tenant, settings):
    kind = record_kinds()[0]
    for name in ("Apple 1", "Apple 2", "Apple 3"):
        make(kind, tenant.account, name)
    member = tenant.client_for("member")
    member.get(tenant.url(f"{kind.app}/export.xlsx"))
    [job_id] = _export_job_ids(tenant)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 60)
    Job.unscoped.filter(pk=job_id).update(state=JobState.RUNNING, heartbeat_at=long_ago)
    member.get(tenant.url(f"{kind.app}/export.xlsx"))
    assert len(_export_job_ids(tenant)) == 2


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_job_file_is_deleted_after_the_days_kept_and_its_page_says_so(tenant, other_tenant, settings, language):
    settings.JOB_FILES_KEEP_DAYS = 7
    kind = record_kinds()[0]
    for account in (tenant.account, other_tenant.account):
        for name in ("Apple 1", "Apple 2", "Apple 3"):
            make(kind, account, name)
    tenant.client_for("member").get(tenant.url(f"{kind.app}/export.xlsx"))
    other_tenant.client_for("member").get(other_tenant.url(f"{kind.app}/export.xlsx"))
    old = Job.objects.for_account(tenant.account).get(kind=EXPORT_KIND)
    theirs = Job.objects.for_account(other_tenant.account).get(kind=EXPORT_KIND)
    eight_days_ago = timezone.now() - dt.timedelta(days=8)
    Job.unscoped.filter(pk__in=(old.pk, theirs.pk)).update(finished_at=eight_days_ago)
    old_file, their_file = job_file_path(old), job_file_path(theirs)
    # The account's next export prunes the account's expired files only.
    tenant.client_for("member").get(tenant.url(f"{kind.app}/export.xlsx?q=Apple"))
    assert not old_file.exists()
    assert their_file.exists()
    viewer = tenant.client_for("viewer")
    tenant.viewer.language = language
    tenant.viewer.save()
    args = {"account_slug": tenant.account.slug, "job_id": old.pk}
    assert viewer.get(reverse("jobs:download", kwargs=args)).status_code == 404
    page = viewer.get(reverse("jobs:detail", kwargs=args)).content.decode()
    expected = {
        "en": "The file was deleted 7 days after the job ended: make it again.",
        "pl": "Plik usunięto 7 dni po zakończeniu zadania: utwórz go ponownie.",
    }
    assert expected[language] in page
    assert "data-job-file" not in page
    # The command prunes every account's; a file still within its days stays.
    call_command("prune_job_files", stdout=io.StringIO())
    assert not their_file.exists()
    fresh = Job.objects.for_account(tenant.account).filter(kind=EXPORT_KIND).latest("pk")
    assert job_file_path(fresh).exists()
