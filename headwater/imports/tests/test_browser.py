"""The import wizard's first steps in Chromium, in English and Polish: upload the sample file, see what was detected,
override the delimiter and watch the preview follow, then change and save the column mapping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.companies.models import Company
from headwater.imports.models import Import
from headwater.imports.services import import_run
from headwater.jobs.services import job_advance, job_create, job_start
from headwater.records.tasks import WORD_STARTS_KIND
from headwater.sources.models import Source
from headwater.testing.factories import make_import

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parents[3] / "docs" / "samples" / "import-sample.csv"


def t(language, text):
    with translation.override(language):
        return gettext(text)


@pytest.fixture
def dashboard(page, live_server, browser_login, tenant):
    """A member logged in, on the dashboard, in `language`."""

    def go(language):
        browser_login(tenant.member)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}{tenant.url('')}")
        return page

    return go


@pytest.mark.parametrize("language", ["en", "pl"])
def test_upload_preview_override_and_map(dashboard, tenant, screenshot, language):
    page = dashboard(language)
    page.get_by_role("link", name=t(language, "Import"), exact=True).click()
    page.get_by_label(t(language, "File (CSV, XLSX or ODS)")).set_input_files(str(SAMPLE))
    page.get_by_role("button", name=t(language, "Upload and preview")).click()

    workspace = page.locator("#import-workspace")
    expect(workspace.locator("[data-detected=encoding]")).to_have_text("cp1250")
    expect(workspace.locator("[data-detected=delimiter]")).to_have_text(t(language, "semicolon (;)"))
    expect(workspace.locator("[data-detected=header_row]")).to_have_text("1")
    preview = page.get_by_role("table")
    expect(preview.get_by_role("columnheader", name="Nazwa firmy")).to_be_visible()
    expect(preview.get_by_role("cell", name="Zakład Stolarski Łódź Sp. z o.o.")).to_be_visible()
    expect(preview.get_by_role("cell", name="Facebook Ads")).to_be_visible()
    # The guessed mapping, one labelled select per column.
    expect(page.get_by_label("Nazwa firmy", exact=True)).to_have_value("company.name")
    expect(page.get_by_label("Źródło", exact=True)).to_have_value("source")
    expect(page.get_by_label("Opiekun", exact=True)).to_have_value("owner")
    screenshot(f"import-detected-{language}")

    # The user says the header is on row 3: the preview follows without a page load (htmx).
    page.evaluate("window.__same_page = true")
    page.get_by_label(t(language, "Header row")).fill("3")
    page.get_by_label(t(language, "Header row")).press("Tab")
    expect(workspace.locator("[data-detected=header_row]")).to_have_text("3")
    expect(preview.get_by_role("columnheader", name="Piekarnia Gęślą")).to_be_visible()
    expect(preview.get_by_role("columnheader", name="Nazwa firmy")).to_have_count(0)
    page.get_by_label(t(language, "Header row")).fill("")
    page.get_by_label(t(language, "Header row")).press("Tab")
    expect(workspace.locator("[data-detected=header_row]")).to_have_text("1")
    # Split by commas, the file's rows are wider than its header (one column): said, and no preview.
    page.get_by_label(t(language, "Delimiter")).select_option(",")
    expect(page.get_by_role("alert").first).to_contain_text("2")
    expect(page.get_by_role("table")).to_have_count(0)
    screenshot(f"import-override-error-{language}")
    # Back to detection: the table is whole again.
    page.get_by_label(t(language, "Delimiter")).select_option("")
    expect(workspace.locator("[data-detected=delimiter]")).to_have_text(t(language, "semicolon (;)"))
    expect(preview.get_by_role("columnheader", name="Nazwa firmy")).to_be_visible()
    assert page.evaluate("window.__same_page") is True

    # A wrong encoding forced: the message names the row and the byte; the preview stays as it was read.
    page.get_by_label(t(language, "Encoding")).select_option("utf-8")
    expect(page.get_by_role("alert").first).to_contain_text("utf-8")
    screenshot(f"import-wrong-encoding-{language}")
    page.get_by_label(t(language, "Encoding")).select_option("")
    expect(preview.get_by_role("cell", name="Zakład Stolarski Łódź Sp. z o.o.")).to_be_visible()

    # Step 2: change a column's field and save.
    page.get_by_label("Etap", exact=True).select_option("")
    page.get_by_role("button", name=t(language, "Save the mapping")).click()
    expect(page.get_by_role("status")).to_contain_text(t(language, "Column mapping saved."))
    import_ = Import.objects.for_account(tenant.account).get()
    assert import_.mapping[import_.columns.index("Etap")] is None
    assert import_.mapping[0] == "company.name"


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_sample_through_every_step(dashboard, tenant, screenshot, language):
    """Upload, columns, source values (a new source for "Targi"), duplicates, preview, run, the import list."""
    page = dashboard(language)
    page.get_by_role("link", name=t(language, "Import"), exact=True).click()
    page.get_by_label(t(language, "File (CSV, XLSX or ODS)")).set_input_files(str(SAMPLE))
    page.get_by_role("button", name=t(language, "Upload and preview")).click()
    # The sample's owners are the demo account's users: here every row takes the one running the import.
    page.get_by_label("Opiekun", exact=True).select_option("")
    page.get_by_role("button", name=t(language, "Save the mapping")).click()
    page.get_by_role("link", name=t(language, "Next: source values")).click()

    expect(page.get_by_role("heading", name=t(language, "3. Source values"))).to_be_visible()
    targi = page.get_by_label(re.compile("^[“„]Targi”"))
    targi.select_option("new")
    page.get_by_label(re.compile("Targi”$")).fill("Targi branżowe")
    screenshot(f"import-sources-{language}")
    page.get_by_role("button", name=t(language, "Save and continue")).click()

    expect(page.get_by_role("heading", name=t(language, "4. Duplicates"))).to_be_visible()
    page.get_by_label(t(language, "Fill in their empty fields only")).check()
    page.get_by_label(t(language, "Also update the source of existing records")).check()
    screenshot(f"import-duplicates-{language}")
    page.get_by_role("button", name=t(language, "Next: preview")).click()

    expect(page.get_by_role("heading", name=t(language, "5. Preview"))).to_be_visible()
    expect(page.locator("[data-count=rows]")).to_have_text("10")
    expect(page.locator("[data-count=new]")).to_have_text("30")
    expect(page.locator("[data-count=errors]")).to_have_text("0")
    expect(page.get_by_role("cell", name="Zakład Stolarski Łódź Sp. z o.o.", exact=False).first).to_be_visible()
    screenshot(f"import-preview-{language}")
    page.get_by_role("button", name=t(language, "Run the import")).click()

    expect(page.locator("[data-import-state=done]")).to_be_visible()
    screenshot(f"import-done-{language}")
    import_ = Import.objects.for_account(tenant.account).get()
    assert import_.results["created"] == {"company": 10, "person": 10, "deal": 10}
    assert Source.objects.for_account(tenant.account).filter(name="Targi branżowe").exists()
    page.get_by_role("link", name=t(language, "Import"), exact=True).first.click()
    expect(page.locator("td[data-import-state=done]")).to_be_visible()
    screenshot(f"import-list-{language}")

    # Undo: what it does, then done; the records it created are gone.
    page.get_by_role("link", name="import-sample.csv").click()
    page.get_by_role("link", name=t(language, "Undo this import")).click()
    expect(page.locator("[data-count=created]")).to_have_text("30")
    screenshot(f"import-undo-{language}")
    page.get_by_role("button", name=t(language, "Undo the import")).click()
    # The undo is a job: its page shows its bar, then what it did.
    expect(page.get_by_role("heading", name=t(language, "The import is undone"))).to_be_visible()
    expect(page.locator("[data-count=deleted]")).to_have_text("30")
    expect(page.get_by_role("status")).to_contain_text(t(language, "Done"))
    screenshot(f"import-undone-{language}")
    page.get_by_role("link", name=re.compile("import-sample.csv")).first.click()
    expect(page.locator("[data-import-state=undone]")).to_be_visible()
    assert not Company.objects.for_account(tenant.account).exists()


@pytest.mark.parametrize(("language", "default"), [("en", "MM/DD/YYYY"), ("pl", "DD/MM/YYYY")])
def test_an_ambiguous_date_column_is_asked_on_the_columns_step(dashboard, tenant, screenshot, language, default):
    content = "Nazwa szansy;Planowana data zamknięcia\nLicencje;03/04/2025\nSerwis;05/06/2025\n"
    path = Path(tenant.account.slug + "-dates.csv")
    page = dashboard(language)
    page.get_by_role("link", name=t(language, "Import"), exact=True).click()
    page.get_by_label(t(language, "File (CSV, XLSX or ODS)")).set_input_files(
        files=[{"name": path.name, "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.get_by_role("button", name=t(language, "Upload and preview")).click()
    with translation.override(language):
        label = gettext("How the dates in “%(column)s” are written") % {"column": "Planowana data zamknięcia"}
    question = page.get_by_label(label)
    expect(question).to_have_value(default)
    screenshot(f"import-date-order-{language}")
    other = "DD/MM/YYYY" if default == "MM/DD/YYYY" else "MM/DD/YYYY"
    question.select_option(other)
    page.get_by_role("button", name=t(language, "Save the mapping")).click()
    expect(page.get_by_label(label)).to_have_value(other)
    import_ = Import.objects.for_account(tenant.account).get()
    assert import_.settings["date_formats"] == {"1": other}


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_switch_of_word_starts_under_way_shows_on_the_import_page(
    dashboard, live_server, tenant, screenshot, language
):
    """After an import made the account big enough, its word starts are written by a job of their own: the import's
    page says what it is and shows its bar while it runs."""
    content = "Nazwa firmy;Imię;Nazwisko\nAcme;Anna;Nowak\nBeta;Jan;Kowalski\n".encode()
    import_ = make_import(tenant.account, tenant.member, content=content)
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    job = job_start(job=job_create(account=tenant.account, kind=WORD_STARTS_KIND), total=120_000)
    job_advance(job=job, done=48_000, force=True)
    page = dashboard(language)
    page.goto(f"{live_server.url}{tenant.url(f'import/{import_.pk}/')}")
    expect(page.locator("[data-import-state=done]")).to_be_visible()
    assert import_.results["created"]["person"] == 2
    expect(page.locator("#search-job-note")).to_have_text(
        t(
            language,
            "Searches by the first two letters of a word are being set up for this account's new size. Lists work "
            "as usual meanwhile.",
        )
    )
    bar = page.get_by_role("progressbar", name=re.compile(t(language, "Quick search for short words")))
    expect(bar).to_have_attribute("value", "40")
    screenshot(f"import-word-starts-{language}")
