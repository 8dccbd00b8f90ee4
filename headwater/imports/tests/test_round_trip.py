"""Export, then import of the same file, changes nothing (issue 13): every list's export columns are importable
fields, and the importer reads a list's export back as that list's records (its "Company" and "Person" as links),
finds each one again and has nothing to add or change, in either language and with any duplicate mode."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headwater.imports.columns import guess_mapping
from headwater.records.registry import record_kinds
from headwater.testing.api import api_for
from headwater.testing.factories import (
    CampaignFactory,
    CompanyFactory,
    DealFactory,
    MembershipFactory,
    PersonFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

EXPORTED = [kind for kind in record_kinds() if kind.pages is not None]
NOTHING = {"company": 0, "person": 0, "deal": 0}


def _records(tenant: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every record of the account with every column (versions included: an unchanged record keeps its version)."""
    return {
        kind.noun: sorted(kind.model.objects.for_account(tenant.account).values_list(), key=lambda row: row[0])
        for kind in EXPORTED
    }


@pytest.fixture
def world(tenant: Any) -> None:
    tenant.account.sources_enabled = True
    tenant.account.save()
    fair = SourceFactory(account=tenant.account, name="Targi")
    expo = CampaignFactory(source=fair, name="Expo Poznań")
    alfa = CompanyFactory(
        account=tenant.account, name="Alfa sp. z o.o.", tax_id="5260001246", source=fair, campaign=expo
    )
    CompanyFactory(account=tenant.account, name="Beta", email="biuro@beta.example", phone="+48 22 123 45 67")
    anna = PersonFactory(
        account=tenant.account,
        company=alfa,
        first_name="Anna",
        last_name="Żółkiewska",
        email="anna@alfa.example",
        phone="+48 600 100 200",
        notes="=SUM(A1); -2",
        source=fair,
        campaign=expo,
        owner=tenant.member,
    )
    DealFactory(account=tenant.account, company=alfa, person=anna, name="Licencje", source=fair, campaign=expo)
    DealFactory(account=tenant.account, company=alfa, person=None, name="Serwis", notes="@uwaga")


def _export(tenant: Any, app: str, language: str) -> bytes:
    url = reverse(f"{app}:export_csv", kwargs={"account_slug": tenant.account.slug})
    response = tenant.client_for("admin").get(url, headers={"Accept-Language": language})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("kind", EXPORTED, ids=lambda kind: kind.app)
def test_a_lists_export_imported_again_changes_nothing(tenant, kind, language):
    before = _records(tenant)
    content = _export(tenant, kind.app, language)
    header = content.decode("utf-8-sig").splitlines()[0].split(";" if language == "pl" else ",")
    mapping = guess_mapping(header)
    # Each own field goes to this kind: its "Name" and "Notes" are not another kind's.
    own = [target for target in mapping if target and target.startswith(f"{kind.noun}.")]
    assert f"{kind.noun}.notes" in own, mapping
    assert "campaign" in mapping, mapping

    api = api_for(tenant, "admin")
    for duplicates in ("skip", "fill", "overwrite"):
        for dry_run in ("true", "false"):
            upload = SimpleUploadedFile(f"{kind.app}.csv", content, content_type="text/csv")
            response = api.client.post(
                api.url("/imports"),
                {"file": upload, "mapping": json.dumps({"duplicates": duplicates}), "dry_run": dry_run},
                headers=api._headers(),
            )
            assert response.status_code in (200, 202), response.content
            if dry_run == "true":
                body = response.json()
                assert body["row_errors"] == [], duplicates
                assert body["counts"]["created_by_kind"] == NOTHING, duplicates
                assert body["counts"]["updated_by_kind"] == NOTHING, duplicates
            assert _records(tenant) == before, (duplicates, dry_run)


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("kind", EXPORTED, ids=lambda kind: kind.app)
def test_an_export_carries_its_campaigns_into_another_account(tenant, other_tenant, kind):
    """Another account with the same source and campaign names gets the records with their campaigns."""
    MembershipFactory(account=other_tenant.account, user=tenant.member)  # the exported owner is a user there too
    other_tenant.account.sources_enabled = True
    other_tenant.account.save()
    expo = CampaignFactory(source=SourceFactory(account=other_tenant.account, name="Targi"), name="Expo Poznań")
    content = _export(tenant, kind.app, "pl")
    api = api_for(other_tenant, "admin")
    upload = SimpleUploadedFile(f"{kind.app}.csv", content, content_type="text/csv")
    response = api.client.post(api.url("/imports"), {"file": upload, "mapping": json.dumps({})}, headers=api._headers())
    assert response.status_code == 202, response.content
    carrying = kind.model.objects.for_account(other_tenant.account).filter(campaign=expo)
    assert carrying.exists()
    assert set(carrying.values_list("source_id", flat=True)) == {expo.source_id}
