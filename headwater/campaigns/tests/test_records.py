"""A campaign on every record kind of the registry: the forms, the detail and list pages, the list filter, the API,
the bulk change and the exports. Another account's campaign is refused everywhere."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from headwater.campaigns.models import CampaignChange
from headwater.records.registry import RecordKind, record_kinds
from headwater.records.tests.test_exports import read_csv
from headwater.records.tests.view_contract import sources_on
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.api import api_for
from headwater.testing.factories import CampaignFactory, RecordFactory, SourceFactory

pytestmark = pytest.mark.django_db

KINDS = [pytest.param(kind, id=kind.noun) for kind in record_kinds()]
FACTORIES = {factory._meta.model: factory for factory in RecordFactory.__subclasses__()}


def form_data(kind: RecordKind, **overrides: Any) -> dict[str, Any]:
    """The kind's own valid form (its tests' `form_data`), as its pages' tests post it."""
    module = importlib.import_module(f"{kind.model._meta.app_config.name}.tests.test_views")
    data: dict[str, Any] = module.form_data(**overrides)
    return data


def label_field(kind: RecordKind) -> str:
    return kind.name_fields[-1]  # a company's or deal's name, a person's last name


def make(kind: RecordKind, account: Any, **fields: Any) -> Any:
    return FACTORIES[kind.model](account=account, **fields)


@pytest.fixture
def setup(tenant, other_tenant):
    sources_on(tenant.account, default=False)
    sources_on(other_tenant.account, default=False)
    google = SourceFactory(account=tenant.account, name="Google")
    fair = SourceFactory(account=tenant.account, name="Fair")
    return {
        "google": google,
        "fair": fair,
        "spring": CampaignFactory(source=google, name="Spring sale"),
        "expo": CampaignFactory(source=fair, name="Expo 2026"),
        "theirs": CampaignFactory(source=SourceFactory(account=other_tenant.account), name="MARKER theirs"),
    }


def _new(kind: RecordKind, account: Any) -> Any:
    return kind.model.objects.for_account(account).order_by("-pk").first()


@pytest.mark.parametrize("kind", KINDS)
class TestPages:
    def test_the_form_takes_a_campaign_and_its_source_and_the_pages_show_it(self, tenant, setup, kind):
        client = tenant.client_for("member")
        form = client.get(tenant.url(f"{kind.app}/new/"))
        assert "Spring sale · Google" in form.text
        assert "MARKER" not in form.text
        response = client.post(tenant.url(f"{kind.app}/new/"), form_data(kind, source="", campaign=setup["spring"].pk))
        assert response.status_code == 302, response.content
        record = _new(kind, tenant.account)
        assert (record.campaign_id, record.source_id) == (setup["spring"].pk, setup["google"].pk)
        detail = client.get(tenant.url(f"{kind.app}/{record.pk}/"))
        assert "Spring sale" in detail.text
        (change,) = CampaignChange.objects.for_account(tenant.account).filter(
            record_type=kind.noun, record_id=record.pk
        )
        assert (change.old_name, change.new_name, change.how, change.user) == (
            "",
            "Spring sale",
            "typed",
            tenant.member,
        )
        assert "Campaign history" in detail.text
        listed = client.get(tenant.url(f"{kind.app}/"), {"campaign": setup["spring"].pk})
        assert listed.status_code == 200
        assert "Spring sale" in listed.text
        other = make(kind, tenant.account)
        assert f"/{kind.app}/{record.pk}/" in listed.text
        assert f"/{kind.app}/{other.pk}/" not in listed.text

    def test_a_campaign_of_another_source_is_an_error_on_the_form(self, tenant, setup, kind):
        client = tenant.client_for("member")
        before = kind.model.objects.for_account(tenant.account).count()
        data = form_data(kind, source=setup["google"].pk, campaign=setup["expo"].pk)
        response = client.post(tenant.url(f"{kind.app}/new/"), data)
        assert response.status_code == 200
        assert "belongs to the source" in response.text
        assert kind.model.objects.for_account(tenant.account).count() == before

    def test_another_accounts_campaign_is_not_a_choice(self, tenant, setup, kind):
        client = tenant.client_for("member")
        before = kind.model.objects.for_account(tenant.account).count()
        response = client.post(tenant.url(f"{kind.app}/new/"), form_data(kind, campaign=setup["theirs"].pk))
        assert response.status_code == 200
        assert "Select a valid choice" in response.text
        assert "MARKER" not in response.text
        assert kind.model.objects.for_account(tenant.account).count() == before
        listed = client.get(tenant.url(f"{kind.app}/"), {"campaign": setup["theirs"].pk})
        assert "MARKER" not in listed.text

    def test_the_bulk_bar_sets_a_campaign_with_its_source(self, tenant, setup, kind):
        bare = make(kind, tenant.account)
        response = tenant.client_for("member").post(
            tenant.url(f"{kind.app}/bulk/"), {"ids": [bare.pk], "campaign": str(setup["spring"].pk)}
        )
        assert response.status_code == 302
        bare.refresh_from_db()
        assert (bare.campaign_id, bare.source_id, bare.version) == (setup["spring"].pk, setup["google"].pk, 2)
        change = SourceChange.objects.for_account(tenant.account).get(record_type=kind.noun, record_id=bare.pk)
        assert change.how == HowChanged.BULK
        changed = CampaignChange.objects.for_account(tenant.account).get(record_type=kind.noun, record_id=bare.pk)
        assert (changed.new_campaign_id, changed.how) == (setup["spring"].pk, HowChanged.BULK)

    def test_the_export_carries_the_campaign(self, tenant, setup, kind):
        make(kind, tenant.account, source=setup["google"], campaign=setup["spring"])
        response = tenant.client_for("viewer").get(tenant.url(f"{kind.app}/export.csv"))
        rows = read_csv(response)
        column = rows[0].index("Campaign")
        assert rows[0][column - 1] == "Acquisition source"
        assert rows[1][column] == "Spring sale"


@pytest.mark.parametrize("kind", KINDS)
class TestApi:
    def test_create_read_filter_and_change_the_campaign(self, tenant, setup, kind):
        api = api_for(tenant, "member")
        created = api.post(kind.app, {label_field(kind): "API one", "campaign_id": setup["spring"].pk})
        assert created.status_code == 201, created.content
        body = created.json()
        assert (body["campaign_id"], body["campaign_name"]) == (setup["spring"].pk, "Spring sale")
        assert body["source_id"] == setup["google"].pk
        make(kind, tenant.account)
        listed = api.get(kind.app, {"campaign_id": setup["spring"].pk}).json()["items"]
        assert [item["id"] for item in listed] == [body["id"]]
        refused = api.patch(f"{kind.app}/{body['id']}", {"campaign_id": setup["expo"].pk})
        assert refused.status_code == 400
        assert "campaign_id" in refused.json()["error"]["fields"]
        moved = api.patch(f"{kind.app}/{body['id']}", {"source_id": setup["fair"].pk, "campaign_id": setup["expo"].pk})
        assert moved.status_code == 200
        assert (moved.json()["campaign_name"], moved.json()["source_name"]) == ("Expo 2026", "Fair")

    def test_another_accounts_campaign_is_refused_and_lists_nothing(self, tenant, setup, kind):
        api = api_for(tenant, "member")
        before = kind.model.objects.for_account(tenant.account).count()
        response = api.post(kind.app, {label_field(kind): "API two", "campaign_id": setup["theirs"].pk})
        assert response.status_code == 400
        assert "campaign_id" in response.json()["error"]["fields"]
        assert b"MARKER" not in response.content
        assert kind.model.objects.for_account(tenant.account).count() == before
        assert api.get(kind.app, {"campaign_id": setup["theirs"].pk}).json()["items"] == []

    def test_bulk_change_refuses_records_of_another_source_all_or_nothing(self, tenant, setup, kind):
        api = api_for(tenant, "member")
        bare = make(kind, tenant.account)
        of_fair = make(kind, tenant.account, source=setup["fair"])
        response = api.post(
            f"{kind.app}/bulk-change", {"ids": [bare.pk, of_fair.pk], "changes": {"campaign_id": setup["spring"].pk}}
        )
        assert response.status_code == 400
        assert "1 of the records has another source" in response.json()["error"]["message"]
        bare.refresh_from_db()
        assert (bare.campaign_id, bare.source_id, bare.version) == (None, None, 1)
        both = {"source_id": setup["google"].pk, "campaign_id": setup["spring"].pk}
        response = api.post(f"{kind.app}/bulk-change", {"ids": [bare.pk, of_fair.pk], "changes": both})
        assert response.json() == {"changed": 2}
        of_fair.refresh_from_db()
        assert (of_fair.source_id, of_fair.campaign_id) == (setup["google"].pk, setup["spring"].pk)
        # A source set alone would part the records from their campaign's source.
        response = api.post(f"{kind.app}/bulk-change", {"ids": [of_fair.pk], "changes": {"source_id": None}})
        assert response.status_code == 400
        theirs = api.post(f"{kind.app}/bulk-change", {"ids": [bare.pk], "changes": {"campaign_id": setup["theirs"].pk}})
        assert theirs.status_code == 400
        assert b"MARKER" not in theirs.content
