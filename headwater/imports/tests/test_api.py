"""The import API through its endpoints: one multipart request does the wizard's steps and starts the run (the test
settings' immediate backend runs it at once); a dry run and every refusal keep nothing; roles and tenancy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.imports.models import Import
from headwater.jobs.models import Job
from headwater.persons.models import Person
from headwater.records.models import RecordOrigin
from headwater.sources.models import Source, SourceAlias
from headwater.testing.api import ApiClient, api_for

pytestmark = pytest.mark.django_db

CSV = (
    "Nazwa firmy;NIP;Imię;Nazwisko;E-mail;Nazwa szansy;Wartość;Źródło\n"
    "Acme sp. z o.o.;5260001246;Anna;Nowak;anna@acme.pl;Licencje;1 234,50 zł;Google\n"
    "ACME;;Jan;Kowalski;jan@acme.pl;Serwis;100;\n"
    "Beta;;;;;Wdrożenie;abc;Google\n"
).encode()
SAMPLE = Path(settings.BASE_DIR) / "docs" / "samples" / "import-sample.csv"


def _post(api: ApiClient, content: bytes = CSV, mapping: Any = None, name: str = "leads.csv", **extra: Any) -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile(name, content, content_type="text/csv"), **extra}
    if mapping is not None:
        data["mapping"] = mapping if isinstance(mapping, str) else json.dumps(mapping)
    return api.client.post(api.url("/imports"), data, headers=api._headers())


def _nothing_kept(tenant: Any) -> None:
    assert not Import.objects.for_account(tenant.account).exists()
    assert not Company.objects.for_account(tenant.account).exists()
    assert not Source.objects.for_account(tenant.account).exists()
    assert not SourceAlias.objects.for_account(tenant.account).exists()
    assert not Job.objects.for_account(tenant.account).exists()
    stored = Path(settings.IMPORT_FILES_DIR) / str(tenant.account.pk)
    assert not stored.exists() or not any(stored.iterdir())


def test_import_runs_and_reports_its_results(tenant):
    api = api_for(tenant, "member")
    response = _post(api, mapping={"sources": {"Google": {"new_source": "Google Ads"}}, "duplicates": "fill"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["url"] == f"http://testserver/api/v1/imports/{body['id']}"
    assert response["Location"] == body["url"]

    status = api.get(urlsplit(body["url"]).path)
    assert status.status_code == 200
    result = status.json()
    assert result["state"] == "done"
    assert result["progress"]["done"] == 3
    assert result["progress"]["total"] == 3
    assert result["counts"]["new"] == 5
    assert result["counts"]["errors"] == 1
    assert result["counts"]["created_by_kind"] == {"company": 1, "person": 2, "deal": 2}
    assert result["row_errors_count"] == 1
    assert result["row_errors"][0]["row"] == 4
    assert result["row_errors"][0]["column"] == "Wartość"
    assert result["run_by"] == tenant.member.display_name
    assert result["uploaded_by"] == tenant.member.display_name
    assert result["finished_at"] is not None

    company = Company.objects.for_account(tenant.account).get()
    assert (company.origin, company.origin_import_id) == (RecordOrigin.IMPORT, body["id"])
    google = Source.objects.for_account(tenant.account).get(name="Google Ads")
    assert Deal.objects.for_account(tenant.account).get(name="Licencje").source_id == google.pk
    assert Import.objects.for_account(tenant.account).get().duplicates == "fill"

    listed = api.get("/imports").json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert listed["items"][0]["counts"]["new"] == 5


def test_the_sample_file_imports(tenant):
    api = api_for(tenant, "admin")
    columns = {
        "Nazwa firmy": "company.name",
        "NIP": "company.tax_id",
        "Imię": "person.first_name",
        "Nazwisko": "person.last_name",
        "E-mail": "person.email",
        "Nazwa szansy": "deal.name",
        "Wartość": "deal.value",
        "Waluta": "deal.currency",
        "Źródło": "source",
    }  # the owner column names the demo's admin, no user of this account
    response = _post(api, content=SAMPLE.read_bytes(), name="import-sample.csv", mapping={"columns": columns})
    assert response.status_code == 202, response.content
    result = api.get(urlsplit(response.json()["url"]).path).json()
    assert result["state"] == "done"
    assert result["counts"]["created_by_kind"]["company"] > 0, result
    assert result["counts"]["errors"] < result["counts"]["rows"], result
    assert Company.objects.for_account(tenant.account).filter(origin=RecordOrigin.IMPORT).exists()


def test_an_explicit_column_mapping_and_read_settings(tenant):
    api = api_for(tenant, "member")
    columns = {"Nazwa firmy": "company.name", "Nazwisko": "person.last_name", "E-mail": "person.email"}
    mapping = {"columns": columns, "delimiter": ";"}
    response = _post(api, mapping=mapping)
    assert response.status_code == 202, response.content
    assert Company.objects.for_account(tenant.account).count() == 2  # Acme (twice), Beta: only names were mapped
    assert not Deal.objects.for_account(tenant.account).exists()
    assert set(Person.objects.for_account(tenant.account).values_list("email", flat=True)) == {
        "anna@acme.pl",
        "jan@acme.pl",
    }


def test_dry_run_answers_the_preview_and_keeps_nothing(tenant):
    api = api_for(tenant, "member")
    response = _post(api, mapping={"sources": {"Google": {"new_source": "Google Ads"}}}, dry_run="true")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True
    assert body["counts"]["created_by_kind"] == {"company": 1, "person": 2, "deal": 2}
    assert body["row_errors_count"] == 1
    assert body["row_errors"][0]["row"] == 4
    _nothing_kept(tenant)


@pytest.mark.parametrize(
    ("upload", "mapping", "field", "words"),
    [
        ((CSV, "leads.pdf"), None, "file", "Upload a CSV, XLSX or ODS file"),
        ((b"", "leads.csv"), None, "file", "empty"),
        ((CSV, "leads.csv"), "{not json", "mapping", "not valid JSON"),
        ((CSV, "leads.csv"), "[1, 2]", "mapping", "object"),
        ((CSV, "leads.csv"), {"duplicates": "merge"}, "mapping.duplicates", "skip"),
        ((CSV, "leads.csv"), {"unknown": 1}, "mapping.unknown", "Unknown field"),
        ((CSV, "leads.csv"), {"header_row": 0}, "mapping.header_row", "At least 1"),
        ((CSV, "leads.csv"), {"columns": {"Nope": "company.name"}}, "mapping.columns.Nope", "no column"),
        ((CSV, "leads.csv"), {"columns": {"NIP": "company.shoe_size"}}, "mapping.columns.NIP", "Unknown field"),
        (
            (CSV, "leads.csv"),
            {"columns": {"NIP": "company.name", "Nazwa firmy": "company.name"}},
            "mapping.columns.NIP",
            "already filled",
        ),
        ((CSV, "leads.csv"), {"columns": {"NIP": None}}, "mapping.columns", "at least one column"),
        ((CSV, "leads.csv"), {"sources": {"Bing": None}}, "mapping.sources.Bing", "No row has this value"),
        ((CSV, "leads.csv"), {"sources": {"Google": {"source_id": 999999}}}, "mapping.sources.Google", "source"),
        ((CSV, "leads.csv"), {"sources": {"Google": {"new_source": ""}}}, "mapping.sources.Google.new_source", ""),
        ((CSV, "leads.csv"), {"valid_rows_only": False}, "rows", ""),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_keeps_nothing(tenant, upload, mapping, field, words):
    api = api_for(tenant, "member")
    response = _post(api, content=upload[0], name=upload[1], mapping=mapping)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["fields"], error
    shown = json.dumps(error, ensure_ascii=False)
    assert words.lower() in shown.lower(), shown
    _nothing_kept(tenant)


def test_a_request_without_a_file_is_a_400(tenant):
    api = api_for(tenant, "member")
    response = api.client.post(api.url("/imports"), {"mapping": "{}"}, headers=api._headers())
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    _nothing_kept(tenant)


def test_a_bad_encoding_override_gives_the_pages_message(tenant):
    api = api_for(tenant, "member")
    response = _post(api, content="Nazwa;Miasto\nŁódź;Łódź\n".encode("cp1250"), mapping={"encoding": "utf-8"})
    assert response.status_code == 400, response.content
    assert "not valid utf-8: row 2" in response.json()["error"]["message"]
    _nothing_kept(tenant)


def test_a_viewer_cannot_import_or_read_imports(tenant):
    viewer = api_for(tenant, "viewer")
    assert _post(viewer).status_code == 403
    assert viewer.get("/imports").status_code == 403
    _nothing_kept(tenant)


def test_another_accounts_import_is_not_found(tenant, other_tenant):
    started = _post(api_for(other_tenant, "admin"))
    assert started.status_code == 202
    api = api_for(tenant, "admin")
    response = api.get(urlsplit(started.json()["url"]).path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api.get("/imports").json()["items"] == []


@pytest.mark.parametrize(("language", "first", "delimiter"), [("pl", "Nazwa firmy", ";"), ("en", "Company name", ",")])
def test_the_template_in_both_languages(tenant, language, first, delimiter):
    response = api_for(tenant, "member").get("/imports/template", {"language": language})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.startswith(first + delimiter)


def test_the_openapi_document_describes_the_imports(tenant):
    schema = api_for(tenant, "admin").client.get("/api/v1/openapi.json").json()
    assert {"post", "get"} <= set(schema["paths"]["/api/v1/imports"])
    assert "get" in schema["paths"]["/api/v1/imports/{import_id}"]
    assert "get" in schema["paths"]["/api/v1/imports/template"]
    body = schema["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body
