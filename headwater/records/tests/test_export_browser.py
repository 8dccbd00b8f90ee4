"""A big list's XLSX export in Chromium: "Export XLSX" opens the job's page, whose bar ends with a download link;
the file downloads. English and Polish, screenshots in var/screenshots/export-job-*.png."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.testing.factories import CompanyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.fixture(autouse=True)
def small_threshold(settings, tmp_path):
    settings.EXPORT_XLSX_JOB_ROWS = 2
    settings.JOB_FILES_DIR = tmp_path / "job-files"


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_big_xlsx_export_shows_its_job_then_the_download(live_server, browser_login, tenant, screenshot, language):
    for name in ("Alpha", "Beta", "Gamma"):
        CompanyFactory(account=tenant.account, name=name)
    tenant.member.language = language
    tenant.member.save()
    page = browser_login(tenant.member)
    page.goto(f"{live_server.url}{tenant.url('companies/')}")
    page.get_by_role("link", name=t(language, "Export XLSX")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(t(language, "XLSX export"))
    link = page.locator("[data-job-file]")
    expect(link).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("3")
    screenshot(f"export-job-{language}")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("link", name=t(language, "Back to the list")).click()
    expect(page.get_by_role("cell", name="Gamma", exact=True)).to_be_visible()
