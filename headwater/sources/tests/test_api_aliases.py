"""API: /api/v1/source-aliases (every member reads, admins write) and records' `source_name`."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.records.tests.api_contract import enable_sources, error_of
from headwater.sources.models import HowChanged, SourceAlias, SourceChange
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_counters():
    cache.clear()


@pytest.fixture
def fb(tenant):
    enable_sources(tenant.account)
    return SourceFactory(account=tenant.account, name="Facebook Ads")


@pytest.fixture
def google(tenant):
    return SourceFactory(account=tenant.account, name="Google Ads")


def _texts(account):
    return sorted(SourceAlias.objects.for_account(account).values_list("text", "source__name"))


def test_admin_creates_reads_repoints_and_deletes(tenant, fb, google):
    api = api_for(tenant, "admin")
    created = api.post("source-aliases", {"source_id": fb.pk, "text": " FB "})
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("text", "source_id", "source_name")} == {
        "text": "FB",
        "source_id": fb.pk,
        "source_name": "Facebook Ads",
    }
    alias_id = body["id"]
    assert api.get(f"source-aliases/{alias_id}").json()["text"] == "FB"
    assert [a["text"] for a in api.get("source-aliases", {"source_id": fb.pk}).json()["items"]] == ["FB"]
    assert api.get("source-aliases", {"source_id": google.pk}).json()["items"] == []
    moved = api.patch(f"source-aliases/{alias_id}", {"source_id": google.pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["source_name"] == "Google Ads"
    assert api.patch(f"source-aliases/{alias_id}", {"text": "Gads"}).json()["text"] == "Gads"
    assert api.delete(f"source-aliases/{alias_id}").status_code == 204
    assert _texts(tenant.account) == []


def test_refusals_are_400_with_the_field_and_write_nothing(tenant, fb, google):
    api = api_for(tenant, "admin")
    api.post("source-aliases", {"source_id": fb.pk, "text": "FB"})
    error = error_of(api.post("source-aliases", {"source_id": google.pk, "text": "fb"}), 400)
    assert "already an alias" in error["fields"]["text"][0]
    error = error_of(api.post("source-aliases", {"source_id": fb.pk, "text": "google ads"}), 400)
    assert "another source" in error["fields"]["text"][0]
    error_of(api.post("source-aliases", {"source_id": fb.pk, "text": "a\u0000b"}), 400)
    alias_id = SourceAlias.objects.for_account(tenant.account).get().pk
    error = error_of(api.patch(f"source-aliases/{alias_id}", {"text": None}), 400)
    assert error["fields"]["text"]
    assert _texts(tenant.account) == [("FB", "Facebook Ads")]


def test_roles_viewers_and_members_only_read(tenant, fb):
    alias = SourceAlias.unscoped.create(account=tenant.account, source=fb, text="FB", key="fb", look_key="fb")
    for role in ("viewer", "member"):
        api = api_for(tenant, role)
        assert api.get("source-aliases").status_code == 200
        assert api.post("source-aliases", {"source_id": fb.pk, "text": "Fejs"}).status_code == 403
        assert api.patch(f"source-aliases/{alias.pk}", {"text": "X"}).status_code == 403
        assert api.delete(f"source-aliases/{alias.pk}").status_code == 403
    assert _texts(tenant.account) == [("FB", "Facebook Ads")]


def test_another_accounts_aliases_and_sources_are_not_ours(tenant, other_tenant, fb):
    theirs_source = SourceFactory(account=other_tenant.account, name="MARKER theirs")
    theirs = SourceAlias.unscoped.create(
        account=other_tenant.account, source=theirs_source, text="MARKER", key="marker", look_key="marker"
    )
    api = api_for(tenant, "admin")
    assert b"MARKER" not in api.get("source-aliases").content
    assert api.get("source-aliases", {"source_id": theirs_source.pk}).json()["items"] == []
    error_of(api.get(f"source-aliases/{theirs.pk}"), 404)
    error_of(api.patch(f"source-aliases/{theirs.pk}", {"text": "hijack"}), 404)
    error_of(api.delete(f"source-aliases/{theirs.pk}"), 404)
    error = error_of(api.post("source-aliases", {"source_id": theirs_source.pk, "text": "x1"}), 400)
    assert error["fields"]["source_id"]
    alias = api.post("source-aliases", {"source_id": fb.pk, "text": "FB"}).json()
    error = error_of(api.patch(f"source-aliases/{alias['id']}", {"source_id": theirs_source.pk}), 400)
    assert error["fields"]["source_id"]
    assert SourceAlias.objects.for_account(other_tenant.account).get().text == "MARKER"


class TestSourceByName:
    @pytest.fixture
    def aliased(self, tenant, fb):
        SourceAlias.unscoped.create(account=tenant.account, source=fb, text="FB", key="fb", look_key="fb")
        return fb

    @pytest.mark.parametrize("name", ["Facebook Ads", "facebook ads", "FB", "fb", " Fb "])
    def test_a_record_takes_its_source_by_name_or_alias(self, tenant, aliased, name):
        api = api_for(tenant, "member")
        response = api.post("companies", {"name": "Acme", "source_name": name})
        assert response.status_code == 201, response.content
        assert (response.json()["source_id"], response.json()["source_name"]) == (aliased.pk, "Facebook Ads")
        company = Company.objects.for_account(tenant.account).get()
        change = SourceChange.objects.for_account(tenant.account).get(record_id=company.pk)
        assert change.how == HowChanged.API

    @pytest.mark.parametrize(("resource", "body"), [("persons", {"last_name": "Nowak"}), ("deals", {"name": "Deal"})])
    def test_persons_and_deals_too_and_on_change(self, tenant, aliased, google, resource, body):
        api = api_for(tenant, "member")
        created = api.post(resource, {**body, "source_name": "fb"})
        assert created.status_code == 201, created.content
        assert created.json()["source_id"] == aliased.pk
        changed = api.patch(f"{resource}/{created.json()['id']}", {"source_name": "GOOGLE ADS"})
        assert changed.status_code == 200, changed.content
        assert changed.json()["source_id"] == google.pk
        cleared = api.patch(f"{resource}/{created.json()['id']}", {"source_name": None})
        assert cleared.json()["source_id"] is None

    def test_an_unknown_name_is_a_clear_400_and_nothing_is_written(self, tenant, aliased):
        api = api_for(tenant, "member")
        error = error_of(api.post("companies", {"name": "Acme", "source_name": "Facebok"}), 400)
        assert error["code"] == "validation_error"
        assert "No source of this account is named “Facebok”" in error["fields"]["source_name"][0]
        assert not Company.objects.for_account(tenant.account).exists()

    def test_a_guess_is_never_taken(self, tenant, aliased):
        error = error_of(api_for(tenant, "member").post("persons", {"last_name": "N", "source_name": "Facebook"}), 400)
        assert error["fields"]["source_name"]
        assert not Person.objects.for_account(tenant.account).exists()

    def test_both_fields_are_refused(self, tenant, aliased):
        api = api_for(tenant, "member")
        error = error_of(api.post("deals", {"name": "D", "source_id": aliased.pk, "source_name": "FB"}), 400)
        assert "not both" in error["fields"]["source_name"][0]
        assert not Deal.objects.for_account(tenant.account).exists()

    def test_another_accounts_names_do_not_resolve(self, tenant, other_tenant, aliased):
        SourceFactory(account=other_tenant.account, name="Theirs")
        error = error_of(api_for(tenant, "member").post("companies", {"name": "A", "source_name": "Theirs"}), 400)
        assert error["fields"]["source_name"]

    def test_bulk_reports_the_row(self, tenant, aliased):
        api = api_for(tenant, "member")
        rows = [{"name": "A", "source_name": "FB"}, {"name": "B", "source_name": "nope"}]
        error = error_of(api.post("companies/bulk", {"items": rows}), 400)
        assert list(error["fields"]["rows"]) == ["1"]
        assert error["fields"]["rows"]["1"]["source_name"]
        assert not Company.objects.for_account(tenant.account).exists()
        created = api.post("companies/bulk", {"items": rows[:1]})
        assert created.status_code == 201
        assert created.json()["items"][0]["origin"] == "api"

    def test_sources_switched_off_is_a_400_on_source_name(self, tenant, aliased):
        tenant.account.sources_enabled = False
        tenant.account.save()
        error = error_of(api_for(tenant, "member").post("companies", {"name": "A", "source_name": "fb"}), 400)
        assert error["code"] == "feature_disabled"
        assert error["fields"]["source_name"]
        assert not Company.objects.for_account(tenant.account).exists()

    def test_bulk_reads_the_catalogue_once(self, tenant, aliased):
        api = api_for(tenant, "member")
        rows = [{"name": f"A{i}", "source_name": "fb" if i % 2 else "facebook ads"} for i in range(20)]
        with CaptureQueriesContext(connection) as queries:
            assert api.post("companies/bulk", {"items": rows}).status_code == 201
        catalogue_reads = [q for q in queries if 'FROM "sources_sourcealias"' in q["sql"]]
        assert len(catalogue_reads) == 1

    def test_an_archived_source_by_name_is_refused_like_by_id(self, tenant, aliased):
        aliased.archived = True
        aliased.save()
        error = error_of(api_for(tenant, "member").post("companies", {"name": "A", "source_name": "fb"}), 400)
        assert "archived" in error["fields"]["source_id"][0]


class TestOrigin:
    def test_the_api_says_how_a_record_was_created_and_cannot_be_told(self, tenant, fb):
        api = api_for(tenant, "member")
        body = api.post("companies", {"name": "Via API"}).json()
        assert (body["origin"], body["origin_import_id"]) == ("api", None)
        for forged in ({"origin": "import"}, {"origin_import_id": 5}):
            error_of(api.post("companies", {"name": "Forged", **forged}), 422)
            error_of(api.patch(f"companies/{body['id']}", forged), 422)
        typed = CompanyFactory(account=tenant.account, name="Old")
        assert api.get(f"companies/{typed.pk}").json()["origin"] == "unknown"
        assert sorted(Company.objects.for_account(tenant.account).values_list("origin", flat=True)) == [
            "api",
            "unknown",
        ]
