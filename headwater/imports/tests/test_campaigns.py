"""A "Campaign" column (issue 15): guessed from its header, matched by name among the campaigns of the row's source
(case, accents and spacing folded), never created; an unknown campaign or another source's is a row error on the
preview, in the rejected-rows file and in the API's answer; existing records get it in the fill and overwrite modes
with their campaign history, and an undo gives the previous one back."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headwater.campaigns.models import Campaign, CampaignChange
from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.imports.columns import guess_mapping
from headwater.imports.models import Import, ImportState
from headwater.imports.services import import_run, import_update_duplicates
from headwater.imports.undo import import_undo
from headwater.persons.models import Person
from headwater.sources.models import HowChanged, SourceChange
from headwater.stats.tally_drift import tally_drift
from headwater.testing.api import api_for
from headwater.testing.factories import CampaignFactory, CompanyFactory, SourceFactory, make_import

pytestmark = pytest.mark.django_db

CSV = (
    "Nazwa firmy;Imię;Nazwisko;Nazwa szansy;Źródło;Kampania\n"
    "Acme;Anna;Nowak;Licencje;Google;WIOSNA lodz\n"
    "Beta;Jan;Kowalski;Serwis;;Expo\n"
    "Gamma;;;;Google;Expo\n"
    "Delta;;;;;Nie ma takiej\n"
    "Epsilon;;;;;\n"
).encode()


@pytest.fixture
def world(tenant: Any) -> dict[str, Any]:
    tenant.account.sources_enabled = True
    tenant.account.save()
    google = SourceFactory(account=tenant.account, name="Google")
    fair = SourceFactory(account=tenant.account, name="Targi")
    return {
        "google": google,
        "fair": fair,
        "spring": CampaignFactory(source=google, name="Wiosna Łódź"),
        "expo": CampaignFactory(source=fair, name="Expo"),
    }


def url(name: str, import_: Import) -> str:
    return reverse(f"imports:{name}", kwargs={"account_slug": import_.account.slug, "import_id": import_.pk})


@pytest.mark.parametrize("header", ["Campaign", "Kampania", "utm_campaign", "KAMPANIA"])
def test_the_campaign_column_is_guessed(header):
    assert guess_mapping(["Nazwa firmy", header]) == ["company.name", "campaign"]


def test_the_mapping_page_takes_the_campaign(tenant, world):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    assert import_.mapping[-1] == "campaign"
    client = tenant.client_for("member")
    page = client.get(url("detail", import_)).content.decode()
    assert '<option value="campaign" selected>' in page
    response = client.post(url("mapping", import_), {"column_0": "company.name", "column_5": "campaign"})
    assert response.status_code == 302
    import_.refresh_from_db()
    assert import_.mapping == ["company.name", None, None, None, None, "campaign"]


def test_preview_and_rejected_rows_name_the_bad_campaigns(tenant, world):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    client = tenant.client_for("member")
    response = client.get(url("preview", import_))
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome.errors == 2
    problems = {(p.number, p.column): p.reason for p in outcome.problems}
    assert set(problems) == {(4, "Kampania"), (5, "Kampania")}
    assert problems[(4, "Kampania")] == "The campaign “Expo” belongs to the source “Targi”, not “Google”."
    assert "No campaign is called “Nie ma takiej”" in problems[(5, "Kampania")]
    page = response.content.decode()
    assert "belongs to the source" in page
    assert "Campaign: Wiosna Łódź" in page  # the first row as it will be saved
    assert not Company.objects.for_account(tenant.account).exists()

    rejected = client.get(url("rejected", import_))
    rows = list(csv.reader(io.StringIO(rejected.content.decode(import_.settings["encoding"])), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["Gamma", "Delta"]
    assert rows[1][-1].startswith("Kampania: The campaign “Expo” belongs to the source “Targi”")
    assert "an import creates no campaigns" in rows[2][-1]


def test_the_run_gives_every_record_of_the_row_its_campaign_and_the_campaigns_source(tenant, world):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    response = tenant.client_for("member").post(url("preview", import_))
    assert response.status_code == 302
    import_.refresh_from_db()
    assert import_.state == ImportState.DONE
    assert import_.results["errors"] == 2
    assert not Campaign.objects.for_account(tenant.account).exclude(pk__in=[world["spring"].pk, world["expo"].pk])
    for model in (Company, Person, Deal):
        records = model.objects.for_account(tenant.account)
        # Row 1 named Google and its campaign; row 2 no source: the campaign's ("Targi") is taken.
        acme = records.get(company__name="Acme") if model is not Company else records.get(name="Acme")
        beta = records.get(company__name="Beta") if model is not Company else records.get(name="Beta")
        assert (acme.campaign_id, acme.source_id) == (world["spring"].pk, world["google"].pk), model
        assert (beta.campaign_id, beta.source_id) == (world["expo"].pk, world["fair"].pk), model
    epsilon = Company.objects.for_account(tenant.account).get(name="Epsilon")
    assert epsilon.campaign_id is None
    history = CampaignChange.objects.for_account(tenant.account)
    assert history.count() == 6
    assert set(history.values_list("how", flat=True)) == {HowChanged.IMPORT}
    assert set(history.values_list("new_name", flat=True)) == {"Wiosna Łódź", "Expo"}
    assert tally_drift(account_ids=[tenant.account.pk]) == {}


def test_a_name_several_sources_share_needs_the_source_column(tenant, world):
    CampaignFactory(source=world["google"], name="Expo")
    content = "Nazwa firmy;Źródło;Kampania\nAcme;;Expo\nBeta;Targi;expo\n".encode()
    import_ = make_import(tenant.account, tenant.member, content=content)
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    import_.refresh_from_db()
    assert import_.results["errors"] == 1
    assert Company.objects.for_account(tenant.account).get().campaign_id == world["expo"].pk


def test_archived_campaigns_and_switched_off_sources_are_row_errors(tenant, world):
    world["expo"].archived = True
    world["expo"].save()
    content = b"Nazwa firmy;Kampania\nAcme;Expo\n"
    response = tenant.client_for("member").get(
        url("preview", make_import(tenant.account, tenant.member, content=content))
    )
    assert "The campaign “Expo” is archived." in response.content.decode()
    tenant.account.sources_enabled = False
    tenant.account.save()
    content = "Nazwa firmy;Kampania\nAcme;Wiosna Łódź\n".encode()
    response = tenant.client_for("member").get(
        url("preview", make_import(tenant.account, tenant.member, content=content))
    )
    assert response.context["outcome"].errors == 1


@pytest.mark.parametrize("mode", ["fill", "overwrite"])
def test_existing_records_get_the_campaign_and_an_undo_gives_the_old_one_back(tenant, world, mode):
    old = CampaignFactory(source=world["fair"], name="Jesień")
    bare = CompanyFactory(account=tenant.account, name="Acme", source=None, campaign=None)
    carrying = CompanyFactory(account=tenant.account, name="Beta", source=world["fair"], campaign=old)
    content = "Nazwa firmy;Kampania\nAcme;Wiosna Łódź\nBeta;Wiosna Łódź\n".encode()
    import_ = make_import(tenant.account, tenant.member, content=content)
    import_update_duplicates(account=tenant.account, import_=import_, mode=mode, update_existing_source=False)
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    bare.refresh_from_db()
    carrying.refresh_from_db()
    assert (bare.campaign_id, bare.source_id) == (world["spring"].pk, world["google"].pk)
    if mode == "fill":  # a field already filled stays, and its source with it
        assert (carrying.campaign_id, carrying.source_id) == (old.pk, world["fair"].pk)
    else:
        assert (carrying.campaign_id, carrying.source_id) == (world["spring"].pk, world["google"].pk)
    changes = CampaignChange.objects.for_account(tenant.account).filter(how=HowChanged.IMPORT)
    assert changes.filter(record_id=bare.pk, old_campaign_id=None, new_campaign_id=world["spring"].pk).exists()
    assert SourceChange.objects.for_account(tenant.account).filter(record_id=bare.pk, how=HowChanged.IMPORT).exists()

    import_undo(account=tenant.account, user=tenant.admin, import_=import_, keep_touched=False)
    bare.refresh_from_db()
    carrying.refresh_from_db()
    assert (bare.campaign_id, bare.source_id) == (None, None)
    assert (carrying.campaign_id, carrying.source_id) == (old.pk, world["fair"].pk)
    undone = CampaignChange.objects.for_account(tenant.account).filter(how=HowChanged.UNDO, record_id=bare.pk).get()
    assert (undone.old_name, undone.new_campaign_id, undone.user_id) == ("Wiosna Łódź", None, tenant.admin.pk)


def _post(tenant: Any, mapping: dict[str, Any], **extra: Any) -> Any:
    api = api_for(tenant, "member")
    data = {
        "file": SimpleUploadedFile("leads.csv", CSV, content_type="text/csv"),
        "mapping": json.dumps(mapping),
        **extra,
    }
    return api.client.post(api.url("/imports"), data, headers=api._headers())


def test_the_api_maps_the_campaign_and_answers_its_row_errors(tenant, world):
    columns = {
        "Nazwa firmy": "company.name",
        "Imię": "person.first_name",
        "Nazwisko": "person.last_name",
        "Nazwa szansy": "deal.name",
        "Źródło": "source",
        "Kampania": "campaign",
    }
    mapping = {"columns": columns, "sources": {"Google": {"source_id": world["google"].pk}}}
    response = _post(tenant, mapping, dry_run="true")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["row_errors_count"] == 2
    assert [(e["row"], e["column"]) for e in body["row_errors"]] == [(4, "Kampania"), (5, "Kampania")]
    assert "belongs to the source “Targi”" in body["row_errors"][0]["message"]
    assert not Company.objects.for_account(tenant.account).exists()

    response = _post(tenant, mapping)
    assert response.status_code == 202, response.content
    assert Deal.objects.for_account(tenant.account).get(name="Licencje").campaign_id == world["spring"].pk
    unmapped = _post(tenant, {"columns": {**columns, "Kampania": None}, "duplicates": "fill"}, dry_run="true")
    assert unmapped.json()["row_errors_count"] == 0


def test_the_preview_says_it_in_polish(tenant, world):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    response = tenant.client_for("member").get(url("preview", import_), headers={"Accept-Language": "pl"})
    page = response.content.decode()
    assert "Kampania „Expo” należy do źródła „Targi”, nie „Google”." in page
    assert "import nie tworzy kampanii" in page


def test_a_record_keeping_its_campaign_keeps_the_campaigns_source(tenant, world):
    """The source box ticked, a row naming another source: the record's campaign stays, so its source stays too."""
    carrying = CompanyFactory(account=tenant.account, name="Beta", source=world["fair"], campaign=world["expo"])
    content = "Nazwa firmy;Źródło\nBeta;Google\n".encode()
    import_ = make_import(tenant.account, tenant.member, content=content)
    import_update_duplicates(account=tenant.account, import_=import_, mode="fill", update_existing_source=True)
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    carrying.refresh_from_db()
    assert (carrying.campaign_id, carrying.source_id) == (world["expo"].pk, world["fair"].pk)
