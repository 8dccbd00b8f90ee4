"""The wizard's pages as a user drives them: upload, what was detected, overrides (htmx), the mapping, the template;
bad files refused with their message and nothing stored; viewers and other accounts kept out."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headwater.imports.models import Import
from headwater.testing.factories import make_import

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[3] / "docs" / "samples" / "import-sample.csv"


def start_url(tenant):
    return reverse("imports:start", kwargs={"account_slug": tenant.account.slug})


def detail_url(import_):
    return reverse("imports:detail", kwargs={"account_slug": import_.account.slug, "import_id": import_.pk})


def upload(client, tenant, name, data):
    return client.post(start_url(tenant), {"file": SimpleUploadedFile(name, data)})


def test_uploading_the_sample_shows_what_was_detected_and_the_guessed_mapping(tenant, import_files_dir):
    client = tenant.client_for("member")
    response = upload(client, tenant, "import-sample.csv", SAMPLE.read_bytes())
    assert response.status_code == 302
    import_ = Import.objects.for_account(tenant.account).get()
    assert response["Location"] == detail_url(import_)
    assert import_.uploaded_by == tenant.member
    assert import_.file_name == "import-sample.csv"
    assert import_.settings == {"encoding": "cp1250", "delimiter": ";", "header_row": 1, "sheet": ""}
    stored = import_files_dir / import_.stored_path
    assert stored.read_bytes() == SAMPLE.read_bytes()
    assert import_.mapping[:3] == ["company.name", "company.tax_id", "company.website"]
    assert "source" in import_.mapping
    assert "owner" in import_.mapping

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "cp1250" in html
    assert "semicolon (;)" in html
    assert "Zakład Stolarski Łódź Sp. z o.o." in html
    assert "Facebook Ads" in html
    assert len(page.context["preview"]) == 10
    form = page.context["mapping_form"]
    assert form["column_0"].value() == "company.name"
    assert form["column_0"].label == "Nazwa firmy"


def test_an_override_changes_the_preview_through_htmx(tenant):
    client = tenant.client_for("member")
    import_ = make_import(tenant.account, tenant.member, content=b"a;b,c\n1;2,3\n")
    url = detail_url(import_)
    response = client.post(url, {"encoding": "", "delimiter": ",", "header_row": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "imports/_workspace.html"
    assert response.context["preview"] == [["1;2", "3"]]
    import_.refresh_from_db()
    assert import_.settings["delimiter"] == ","
    assert import_.columns == ["a;b", "c"]


def test_a_forced_wrong_encoding_is_an_error_and_the_settings_stay(tenant):
    client = tenant.client_for("member")
    import_ = make_import(tenant.account, tenant.member)  # Windows-1250
    before = dict(import_.settings)
    response = client.post(detail_url(import_), {"encoding": "utf-8", "delimiter": "", "header_row": ""})
    assert response.status_code == 400
    assert "is not valid utf-8: row 1, byte 23 (0x8F)" in response.content.decode()
    import_.refresh_from_db()
    assert import_.settings == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "The submitted file is empty."),
        ("header.csv", b"Firma;NIP\r\n", "header row (row 1) but no data rows"),
        ("quotes.csv", b'Firma;NIP\n"Acme;1\nBeta;2\n', "Unbalanced quotes in the record starting on row 2"),
        ("mixed.csv", b"Firma;NIP;Miasto\nAcme;1;Gdynia\nBeta,2,Sopot\n", "Mixed delimiters: row 3"),
        ("wide.csv", (";".join(["c"] * 10_000) + "\n1\n").encode(), "10,000 columns; at most 200"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "is a PNG file, not text"),
        ("fake.xlsx", b"Firma;NIP\nAcme;1\n", "not a zip archive"),
        ("report.pdf", b"%PDF-1.4", "Upload a CSV, XLSX or ODS file"),
    ],
)
def test_a_bad_file_is_refused_with_its_message_and_nothing_is_kept(tenant, import_files_dir, name, data, message):
    response = upload(tenant.client_for("member"), tenant, name, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Import.objects.for_account(tenant.account).exists()
    assert not any(path.is_file() for path in import_files_dir.rglob("*")) if import_files_dir.exists() else True


def test_the_mapping_is_saved_and_a_field_twice_is_refused(tenant):
    client = tenant.client_for("member")
    import_ = make_import(tenant.account, tenant.member)
    url = reverse("imports:mapping", kwargs={"account_slug": tenant.account.slug, "import_id": import_.pk})
    twice = client.post(url, {"column_0": "company.name", "column_1": "company.name"})
    assert twice.status_code == 400
    assert "is already filled by column Nazwa firmy" in twice.content.decode()
    import_.refresh_from_db()
    assert import_.mapping[0] == "company.name"
    assert import_.mapping[1] == "company.tax_id"
    unknown = client.post(url, {"column_0": "company.secret"})
    assert unknown.status_code == 400
    saved = client.post(url, {"column_0": "company.name", "column_2": "person.email", "column_4": "deal.value"})
    assert saved.status_code == 302
    import_.refresh_from_db()
    assert import_.mapping == ["company.name", None, "person.email", None, "deal.value"]


def test_viewers_are_refused_and_other_accounts_get_404(tenant, other_tenant):
    import_ = make_import(tenant.account, tenant.member)
    viewer = tenant.client_for("viewer")
    assert viewer.get(start_url(tenant)).status_code == 403
    assert upload(viewer, tenant, "a.csv", b"a;b\n1;2\n").status_code == 403
    assert viewer.get(detail_url(import_)).status_code == 403
    assert Import.objects.for_account(tenant.account).count() == 1
    # Another account's admin, with their own account in the URL and our import's id: not found.
    outsider = other_tenant.client_for("admin")
    url = reverse("imports:detail", kwargs={"account_slug": other_tenant.account.slug, "import_id": import_.pk})
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {"delimiter": ","}).status_code == 404


def test_the_import_link_shows_for_members_only(tenant):
    dashboard = reverse("account:dashboard", kwargs={"account_slug": tenant.account.slug})
    assert start_url(tenant) in tenant.client_for("member").get(dashboard).content.decode()
    assert start_url(tenant) not in tenant.client_for("viewer").get(dashboard).content.decode()


@pytest.mark.parametrize(("language", "delimiter", "first"), [("pl", ";", "Nazwa firmy"), ("en", ",", "Company name")])
def test_the_template_file_in_each_language(tenant, language, delimiter, first):
    client = tenant.client_for("member")
    url = reverse("imports:template", kwargs={"account_slug": tenant.account.slug})
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language, headers={"Cookie": f"django_language={language}"})
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff" + first + delimiter)
    assert f'filename="headwater-import-{language}.csv"' in response["Content-Disposition"]


def test_an_xlsx_upload_offers_its_sheets(tenant):
    import xlsxwriter  # type: ignore[import-untyped]  # ships no type information  # noqa: PLC0415

    path = Path(tenant.account.slug + ".xlsx")
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.add_worksheet("Notatki").write(0, 0, "nic")
    sheet = workbook.add_worksheet("Klienci")
    for c, value in enumerate(["Firma", "NIP", "Wartość"]):
        sheet.write(0, c, value)
    for c, cell in enumerate(["Acme", "5260001246", 1234.5]):
        sheet.write(1, c, cell)
    workbook.close()
    client = tenant.client_for("member")
    response = upload(client, tenant, path.name, buffer.getvalue())
    assert response.status_code == 302
    import_ = Import.objects.for_account(tenant.account).get()
    # The first sheet holds no table: the next one is read; the user may still pick either.
    assert import_.settings["sheet"] == "Klienci"
    notes = client.post(response["Location"], {"sheet": "Notatki", "header_row": ""}, HTTP_HX_REQUEST="true")
    assert "header row (row 1) but no data rows" in notes.content.decode()
    page = client.post(response["Location"], {"sheet": "Klienci", "header_row": ""}, HTTP_HX_REQUEST="true")
    assert page.context["preview"] == [["Acme", "5260001246", "1234.5"]]
    import_.refresh_from_db()
    assert import_.mapping == ["company.name", "company.tax_id", "deal.value"]
