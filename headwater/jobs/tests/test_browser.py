"""The progress fragment in Chromium: it polls while the job runs, and the Statistics page reloads itself when the
recomputation it waits for is done. English and Polish, screenshots in var/screenshots/jobs-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from headwater.jobs import services
from headwater.jobs.models import Job, JobState
from headwater.stats.models import TALLIES_REBUILD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "pl"])
def test_statistics_show_the_recomputation_and_reload_when_it_is_done(
    live_server, browser_login, tenant, screenshot, language
):
    account = tenant.account
    account.sources_enabled = True
    account.save()
    job = services.job_create(account=account, kind=TALLIES_REBUILD, label="America/New_York", user=tenant.admin)
    Job.unscoped.filter(pk=job.pk).update(
        state=JobState.RUNNING,
        total=120_000,
        done=30_000,
        started_at=timezone.now() - dt.timedelta(seconds=60),
        heartbeat_at=timezone.now(),
    )
    tenant.member.language = language
    tenant.member.save()
    page = browser_login(tenant.member)
    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}")

    bar = page.get_by_role("progressbar")
    expect(bar).to_be_visible()
    title = {"en": "Recomputing the statistics for the new time zone", "pl": "Przeliczanie statystyk"}[language]
    expect(page.locator(".job-progress__title")).to_contain_text(title)
    expect(page.get_by_role("status")).to_contain_text(
        {
            "en": "30,000 of 120,000 rows · 500 rows/s · about 3 minutes left",
            "pl": "z 120\xa0000 wierszy · 500 wierszy/s · około 3 minut do końca",
        }[language]
    )
    expect(
        page.get_by_role("heading", name={"en": "Acquisition source statistics", "pl": "Statystyki"}[language])
    ).to_be_visible()
    screenshot(f"jobs-stats-recomputing-{language}")

    # The worker reports progress: the fragment shows it at its next poll (every 2 s).
    Job.unscoped.filter(pk=job.pk).update(done=90_000, heartbeat_at=timezone.now())
    expect(page.get_by_role("status")).to_contain_text({"en": "90,000 of", "pl": "90\xa0000 z"}[language], timeout=6000)

    # Done: the page reloads itself and shows the figures.
    services.job_finish(job=Job.unscoped.get(pk=job.pk))
    expect(page.locator(".stats-highlights")).to_be_attached(timeout=8000)
    expect(page.get_by_role("progressbar")).to_have_count(0)
    screenshot(f"jobs-stats-done-{language}")
