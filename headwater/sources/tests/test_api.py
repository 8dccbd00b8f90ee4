"""API: the source catalogue and switches. Every member reads; only admins write; other accounts' ids are 404/400."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from headwater.core.models import Account
from headwater.records.tests.api_contract import enable_sources, error_of
from headwater.sources.models import CatalogAction, HowChanged, Source, SourceChange, SourceEvent
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_counters():
    cache.clear()


def _catalogue(account):
    return list(Source.objects.for_account(account).order_by("id").values_list("id", "name", "position", "archived"))


def test_list_in_order_with_usage_for_every_role(tenant, other_tenant):
    web = SourceFactory(account=tenant.account, name="Web", position=2)
    fair = SourceFactory(account=tenant.account, name="Fair", position=1, archived=True)
    SourceFactory(account=other_tenant.account, name="MARKER-theirs")
    CompanyFactory(account=tenant.account, source=web)
    PersonFactory(account=tenant.account, source=web)
    DealFactory(account=tenant.account, source=fair)
    for role in ("viewer", "member", "admin"):
        response = api_for(tenant, role).get("sources")
        assert response.status_code == 200
        assert b"MARKER" not in response.content
        items = response.json()["items"]
        assert [(s["name"], s["archived"]) for s in items] == [("Fair", True), ("Web", False)]
        assert items[1]["usage"] == {"companies": 1, "persons": 1, "deals": 0}
        assert items[0]["usage"] == {"companies": 0, "persons": 0, "deals": 1}
    assert [s["name"] for s in api_for(tenant, "viewer").get("sources", {"archived": "false"}).json()["items"]] == [
        "Web"
    ]


def test_other_account_source_is_404_on_every_path(tenant, other_tenant):
    theirs = SourceFactory(account=other_tenant.account, name="MARKER-theirs")
    api = api_for(tenant, "admin")
    responses = [
        api.get(f"sources/{theirs.pk}"),
        api.patch(f"sources/{theirs.pk}", {"version": 1, "name": "Mine now"}),
        api.post(f"sources/{theirs.pk}/archive"),
        api.post(f"sources/{theirs.pk}/unarchive"),
        api.post(f"sources/{theirs.pk}/merge", {"into_id": SourceFactory(account=tenant.account).pk}),
        api.delete(f"sources/{theirs.pk}"),
    ]
    for response in responses:
        error_of(response, 404)
        assert b"MARKER" not in response.content
    theirs.refresh_from_db()
    assert (theirs.name, theirs.archived, theirs.version) == ("MARKER-theirs", False, 1)


def test_merge_into_another_account_source_is_400_on_into_id(tenant, other_tenant):
    ours = SourceFactory(account=tenant.account)
    theirs = SourceFactory(account=other_tenant.account)
    error = error_of(api_for(tenant, "admin").post(f"sources/{ours.pk}/merge", {"into_id": theirs.pk}), 400)
    assert list(error["fields"]) == ["into_id"]
    assert Source.objects.for_account(tenant.account).filter(pk=ours.pk).exists()


def test_reorder_with_another_account_id_is_refused(tenant, other_tenant):
    a, b = SourceFactory(account=tenant.account), SourceFactory(account=tenant.account)
    theirs = SourceFactory(account=other_tenant.account)
    before = _catalogue(tenant.account)
    api = api_for(tenant, "admin")
    error = error_of(api.post("sources/reorder", {"ordered_ids": [b.pk, theirs.pk]}), 400)
    assert "ordered_ids" in error["fields"]
    assert _catalogue(tenant.account) == before
    items = api.post("sources/reorder", {"ordered_ids": [b.pk, a.pk]}).json()["items"]
    assert [s["id"] for s in items] == [b.pk, a.pk]


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_write_and_refusals_change_nothing(tenant, role):
    source = SourceFactory(account=tenant.account, name="Web")
    other = SourceFactory(account=tenant.account, name="Fair")
    before = _catalogue(tenant.account)
    api = api_for(tenant, role)
    responses = [
        api.post("sources", {"name": "New"}),
        api.patch(f"sources/{source.pk}", {"version": 1, "name": "Renamed"}),
        api.post(f"sources/{source.pk}/archive"),
        api.post(f"sources/{source.pk}/unarchive"),
        api.post("sources/reorder", {"ordered_ids": [other.pk, source.pk]}),
        api.post(f"sources/{source.pk}/merge", {"into_id": other.pk}),
        api.delete(f"sources/{source.pk}"),
        api.patch("settings/sources", {"enabled": True}),
    ]
    for response in responses:
        assert error_of(response, 403)["code"] == "permission_denied"
    assert _catalogue(tenant.account) == before
    assert not Account.objects.get(pk=tenant.account.pk).sources_enabled
    assert not SourceEvent.objects.for_account(tenant.account).exists()
    assert api.get("settings/sources").json() == {"enabled": False, "default_from_contact": False}


def test_create_rename_archive_unarchive(tenant):
    api = api_for(tenant, "admin")
    created = api.post("sources", {"name": "  Trade fair  "})
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "Trade fair"
    duplicate = error_of(api.post("sources", {"name": "TRADE FAIR"}), 400)
    assert "Trade fair" in duplicate["fields"]["name"][0]
    renamed = api.patch(f"sources/{body['id']}", {"version": 1, "name": "Fairs"}).json()
    assert (renamed["name"], renamed["version"]) == ("Fairs", 2)
    assert error_of(api.patch(f"sources/{body['id']}", {"version": 1, "name": "Stale"}), 409)["code"] == "conflict"
    archived = api.post(f"sources/{body['id']}/archive", {"version": 2}).json()
    assert archived["archived"] is True
    assert error_of(api.post(f"sources/{body['id']}/unarchive", {"version": 2}), 409)
    assert api.post(f"sources/{body['id']}/unarchive").json()["archived"] is False
    both = api.patch(f"sources/{body['id']}", {"version": 4, "name": "Events", "archived": True}).json()
    assert (both["name"], both["archived"], both["version"]) == ("Events", True, 6)


@pytest.mark.parametrize(("name", "status"), [("", 400), ("   ", 400), ("x" * 101, 422), ("a\x00b", 400)])
def test_bad_names_are_refused_on_name(tenant, name, status):
    error = error_of(api_for(tenant, "admin").post("sources", {"name": name}), status)
    assert "name" in error["fields"]
    assert not Source.objects.for_account(tenant.account).exists()


def test_lookalike_and_invisible_names_are_refused_on_create_and_rename(tenant):
    """Issue 11: "Partner" in Cyrillic letters, accents, doubled spaces and a right-to-left override all got in."""
    SourceFactory(account=tenant.account, name="Partner")
    SourceFactory(account=tenant.account, name="Strona WWW")
    other = SourceFactory(account=tenant.account, name="Other")
    api = api_for(tenant, "admin")
    before = _catalogue(tenant.account)
    cases = [
        ("\u0420\u0430rtner", "“Partner”"),
        ("PARTNER", "A source named “Partner” already exists."),
        ("Pártner", "“Partner”"),
        ("Strona  WWW", "A source named “Strona WWW” already exists."),
        ("Face\u200bbook", "U+200B ZERO WIDTH SPACE"),
        ("Facebook \u202eAds", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ]
    for name, message in cases:
        created = error_of(api.post("sources", {"name": name}), 400)
        assert message in created["fields"]["name"][0], name
        renamed = error_of(api.patch(f"sources/{other.pk}", {"version": 1, "name": name}), 400)
        assert message in renamed["fields"]["name"][0], name
    assert _catalogue(tenant.account) == before
    assert api.post("sources", {"name": "  Facebook \t Ads "}).json()["name"] == "Facebook Ads"
    assert [name for _pk, name, *_ in _catalogue(tenant.account)] == ["Partner", "Strona WWW", "Other", "Facebook Ads"]


def test_delete_modes(tenant):
    used = SourceFactory(account=tenant.account)
    unused = SourceFactory(account=tenant.account)
    company = CompanyFactory(account=tenant.account, source=used)
    api = api_for(tenant, "admin")
    error = error_of(api.delete(f"sources/{used.pk}"), 400)
    assert "mode" in error["fields"]
    assert error_of(api.delete(f"sources/{used.pk}", {"mode": "clear", "expected_count": 7}), 409)
    assert api.delete(f"sources/{used.pk}", {"mode": "clear", "expected_count": 1}).status_code == 204
    company.refresh_from_db()
    assert company.source_id is None
    assert SourceChange.objects.for_account(tenant.account).get(record_id=company.pk).how == HowChanged.CLEARED
    assert api.delete(f"sources/{unused.pk}").status_code == 204
    assert not Source.objects.for_account(tenant.account).exists()
    assert error_of(api.delete(f"sources/{unused.pk}", {"mode": "everything"}), 422)


def test_merge_moves_every_record(tenant):
    old, target = SourceFactory(account=tenant.account), SourceFactory(account=tenant.account, name="Target")
    company = CompanyFactory(account=tenant.account, source=old)
    deal = DealFactory(account=tenant.account, source=old)
    api = api_for(tenant, "admin")
    assert error_of(api.post(f"sources/{old.pk}/merge", {"into_id": target.pk, "version": 9}), 409)
    body = api.post(f"sources/{old.pk}/merge", {"into_id": target.pk, "version": 1}).json()
    assert body["moved"] == 2
    assert body["into"]["usage"] == {"companies": 1, "persons": 0, "deals": 1}
    company.refresh_from_db()
    deal.refresh_from_db()
    assert company.source_id == deal.source_id == target.pk
    error = error_of(api.post(f"sources/{target.pk}/merge", {"into_id": target.pk}), 400)
    assert list(error["fields"]) == ["into_id"]


def test_settings_switches(tenant):
    api = api_for(tenant, "admin")
    assert api.get("settings/sources").json() == {"enabled": False, "default_from_contact": False}
    assert api.patch("settings/sources", {"enabled": True}).json() == {"enabled": True, "default_from_contact": False}
    both = api.patch("settings/sources", {"default_from_contact": True}).json()
    assert both == {"enabled": True, "default_from_contact": True}
    assert error_of(api.patch("settings/sources", {"enabled": "yes"}), 422)
    assert error_of(api.patch("settings/sources", {"enabled": None}), 400)
    assert error_of(api.patch("settings/sources", {"sources_enabled": False}), 422)
    event = SourceEvent.objects.for_account(tenant.account).filter(action=CatalogAction.SWITCHED).first()
    assert event is not None
    assert event.user_id == tenant.admin.pk
    account = Account.objects.get(pk=tenant.account.pk)
    assert account.sources_enabled
    assert account.source_default_from_contact


def test_settings_are_per_account(tenant, other_tenant):
    enable_sources(other_tenant.account, default_from_contact=True)
    assert api_for(tenant, "viewer").get("settings/sources").json() == {"enabled": False, "default_from_contact": False}


# --- PATCH without a version, ETag and If-Match (core/api_preconditions.py) --------------------------------


def test_get_answers_the_etag_and_patch_needs_no_version(tenant):
    source = SourceFactory(account=tenant.account, name="Web")
    api = api_for(tenant, "admin")
    assert api.get(f"sources/{source.pk}")["ETag"] == '"1"'
    renamed = api.patch(f"sources/{source.pk}", {"name": "Website"})
    assert renamed.status_code == 200, renamed.content
    assert (renamed.json()["name"], renamed.json()["version"], renamed["ETag"]) == ("Website", 2, '"2"')
    created = api.post("sources", {"name": "Fair"})
    assert created["ETag"] == '"1"'


def test_if_match_is_honoured_on_every_write_of_one_source(tenant):
    web = SourceFactory(account=tenant.account, name="Web")
    fair = SourceFactory(account=tenant.account, name="Fair")
    api = api_for(tenant, "admin")
    stale = {"If-Match": '"1"'}
    assert api.patch(f"sources/{web.pk}", {"name": "Website"}, headers=stale).status_code == 200
    refused = [
        api.patch(f"sources/{web.pk}", {"name": "Web again"}, headers=stale),
        api.post(f"sources/{web.pk}/archive", headers=stale),
        api.post(f"sources/{web.pk}/merge", {"into_id": fair.pk}, headers=stale),
        api.delete(f"sources/{web.pk}", headers=stale),
    ]
    for response in refused:
        assert error_of(response, 409)["code"] == "conflict"
    web.refresh_from_db()
    assert (web.name, web.version, web.archived) == ("Website", 2, False)
    fresh = {"If-Match": '"2"'}
    archived = api.post(f"sources/{web.pk}/archive", headers=fresh)
    assert (archived.status_code, archived["ETag"]) == (200, '"3"')
    assert api.post(f"sources/{web.pk}/unarchive", headers={"If-Match": '"3"'})["ETag"] == '"4"'
    assert api.delete(f"sources/{web.pk}", headers={"If-Match": '"4"'}).status_code == 204
    assert not Source.objects.for_account(tenant.account).filter(pk=web.pk).exists()


def test_if_match_disagreeing_with_the_body_or_malformed_is_400(tenant):
    web = SourceFactory(account=tenant.account, name="Web")
    api = api_for(tenant, "admin")
    error = error_of(api.patch(f"sources/{web.pk}", {"version": 1, "name": "X"}, headers={"If-Match": '"2"'}), 400)
    assert set(error["fields"]) == {"version", "If-Match"}
    error = error_of(api.post(f"sources/{web.pk}/archive", {"version": 2}, headers={"If-Match": '"1"'}), 400)
    assert set(error["fields"]) == {"version", "If-Match"}
    for header in ('W/"1"', "1", '"1","1"'):
        assert list(error_of(api.delete(f"sources/{web.pk}", headers={"If-Match": header}), 400)["fields"]) == [
            "If-Match"
        ]
    web.refresh_from_db()
    assert (web.name, web.version, web.archived) == ("Web", 1, False)
