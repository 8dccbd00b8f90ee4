"""Export, then import of the same file, changes nothing (issue 13): the exports' columns are the importable fields,
and the importer reads a list's export back as that list's records, finds each one again and has nothing to add."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headwater.companies.models import Company
from headwater.imports.columns import guess_mapping
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, SourceFactory

pytestmark = pytest.mark.django_db


def _export(tenant: Any, language: str) -> bytes:
    client = tenant.client_for("admin")
    url = reverse("companies:export_csv", kwargs={"account_slug": tenant.account.slug})
    response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _companies(tenant: Any) -> list[tuple[Any, ...]]:
    fields = ("pk", "name", "tax_id", "email", "phone", "city", "notes", "source_id", "owner_id", "version")
    return sorted(Company.objects.for_account(tenant.account).values_list(*fields))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_exported_companies_imported_again_change_nothing(tenant, language):
    tenant.account.sources_enabled = True
    tenant.account.save()
    source = SourceFactory(account=tenant.account, name="Targi")
    CompanyFactory(account=tenant.account, name="Alfa sp. z o.o.", tax_id="5260001246", source=source)
    CompanyFactory(
        account=tenant.account, name="Beta", email="biuro@beta.example", phone="+48 22 123 45 67", city="Łódź"
    )
    CompanyFactory(account=tenant.account, name="Gamma", notes="=SUM(A1)", owner=tenant.member, source=source)
    before = _companies(tenant)
    content = _export(tenant, language)
    header = content.decode("utf-8-sig").splitlines()[0]
    delimiter = ";" if language == "pl" else ","
    mapping = guess_mapping(header.split(delimiter))
    assert [target for target in mapping if target and not target.startswith("company.")] == ["owner", "source"]

    api = api_for(tenant, "admin")
    for duplicates in ("fill", "overwrite"):
        upload = SimpleUploadedFile("companies.csv", content, content_type="text/csv")
        response = api.client.post(
            api.url("/imports"),
            {"file": upload, "mapping": json.dumps({"duplicates": duplicates}), "dry_run": "true"},
            headers=api._headers(),
        )
        assert response.status_code == 200, response.content
        counts = response.json()["counts"]
        assert response.json()["row_errors"] == []
        assert counts["created_by_kind"] == {"company": 0, "person": 0, "deal": 0}, duplicates
        assert counts["updated_by_kind"] == {"company": 0, "person": 0, "deal": 0}, duplicates
    assert _companies(tenant) == before
