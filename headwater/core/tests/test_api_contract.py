"""The API's cross-cutting contract: tokens, roles from the live membership, one error shape, rate limit, paging."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from ninja import Router, Schema

from config.api import HeadwaterAPI
from headwater.companies.models import Company
from headwater.core.api_schemas import RecordOut
from headwater.testing.api import ApiClient, api_for
from headwater.testing.factories import CompanyFactory
from headwater.users.models import ApiToken, Membership, Role
from headwater.users.token_services import api_token_create, api_token_revoke, token_hash

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    if code is not None:
        assert body["error"]["code"] == code
    return dict(body["error"])


# --- Authentication ------------------------------------------------------------------------------------


def test_no_token_is_401_with_the_error_shape(tenant):
    response = Client().get("/api/v1/companies")
    assert_error_shape(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer hw_" + "x" * 43, "Basic dXNlcjpwYXNz", "Bearer ", "hw_abc", "Bearer hw_\x00"],
)
def test_invalid_tokens_are_401(tenant, header):
    response = Client().get("/api/v1/me", headers={"Authorization": header})
    assert_error_shape(response, 401, "unauthorized")


def test_token_is_stored_hashed_with_a_visible_prefix(tenant):
    token, secret = api_token_create(account=tenant.account, user=tenant.member, name="zapier")
    assert secret.startswith("hw_")
    assert len(secret) > 40
    stored = ApiToken.unscoped.get(pk=token.pk)
    assert stored.key_hash == token_hash(secret)
    assert secret not in stored.key_hash
    assert stored.prefix == secret[:11]
    assert secret not in {getattr(stored, f.attname) for f in ApiToken._meta.concrete_fields}


def test_revoked_token_stops_working(tenant):
    api = api_for(tenant, "member")
    assert api.get("/me").status_code == 200
    token = ApiToken.unscoped.get(key_hash=token_hash(api.token))
    api_token_revoke(account=tenant.account, user=tenant.member, token=token)
    assert_error_shape(api.get("/me"), 401)


def test_removed_member_token_stops_working(tenant):
    api = api_for(tenant, "member")
    assert api.get("/companies").status_code == 200
    Membership.unscoped.filter(account=tenant.account, user=tenant.member).delete()
    assert_error_shape(api.get("/companies"), 401)


def test_inactive_user_token_stops_working(tenant):
    api = api_for(tenant, "member")
    tenant.member.is_active = False
    tenant.member.save()
    assert_error_shape(api.get("/me"), 401)


def test_role_change_applies_to_the_next_request(tenant):
    api = api_for(tenant, "member")
    assert api.post("/companies", {"name": "Before"}).status_code == 201
    Membership.unscoped.filter(account=tenant.account, user=tenant.member).update(role=Role.VIEWER)
    assert_error_shape(api.post("/companies", {"name": "After"}), 403, "permission_denied")
    assert list(Company.objects.for_account(tenant.account).values_list("name", flat=True)) == ["Before"]
    Membership.unscoped.filter(account=tenant.account, user=tenant.member).update(role=Role.ADMIN)
    assert api.post("/sources", {"name": "Now an admin"}).status_code == 201


def test_the_account_comes_from_the_token_only(tenant, other_tenant):
    CompanyFactory(account=tenant.account, name="Ours")
    CompanyFactory(account=other_tenant.account, name="Theirs")
    api = api_for(tenant, "admin")
    names = [c["name"] for c in api.get("/companies").json()["items"]]
    assert names == ["Ours"]
    # Naming the other account in the query string is refused, not obeyed and not silently ignored.
    response = api.get("/companies", {"account": other_tenant.account.pk, "account_id": other_tenant.account.pk})
    assert set(assert_error_shape(response, 422)["fields"]) == {"account", "account_id"}
    assert api.get("/me").json()["account"]["slug"] == "alpha"
    other = api_for(other_tenant, "viewer")
    assert [c["name"] for c in other.get("/companies").json()["items"]] == ["Theirs"]


def test_a_user_in_two_accounts_uses_the_token_of_each(tenant, other_tenant):
    Membership.unscoped.create(account=other_tenant.account, user=tenant.member, role=Role.VIEWER)
    in_alpha = ApiClient(account=tenant.account, user=tenant.member)
    in_bravo = ApiClient(account=other_tenant.account, user=tenant.member)
    assert in_alpha.get("/me").json()["membership"]["role"] == "member"
    assert in_bravo.get("/me").json()["membership"]["role"] == "viewer"
    assert in_alpha.post("/companies", {"name": "Alpha Co"}).status_code == 201
    assert_error_shape(in_bravo.post("/companies", {"name": "Bravo Co"}), 403)


def test_last_used_is_written_at_most_once_a_minute(tenant, django_assert_num_queries):
    api = api_for(tenant, "viewer")
    token = ApiToken.unscoped.get(key_hash=token_hash(api.token))
    assert token.last_used_at is None
    api.get("/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    # Within the minute: one query to authenticate, none to write.
    with django_assert_num_queries(1):
        assert api.get("/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.unscoped.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api.get("/me")
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=1)


def test_create_api_token_command_prints_a_working_token(tenant, capsys):
    call_command("create_api_token", tenant.member.email, tenant.account.slug, "--name", "cron")
    secret = capsys.readouterr().out.strip()
    api = ApiClient(account=tenant.account, user=tenant.member, token=secret)
    assert api.get("/me").json()["user"]["email"] == tenant.member.email
    assert ApiToken.unscoped.get(key_hash=token_hash(secret)).name == "cron"


def test_create_api_token_command_refuses_non_members(tenant, other_tenant):
    with pytest.raises(CommandError):
        call_command("create_api_token", tenant.member.email, other_tenant.account.slug)
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody@example.test", tenant.account.slug)
    assert not ApiToken.unscoped.exists()


# --- Rate limit ----------------------------------------------------------------------------------------


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_rate_limit_answers_429_with_retry_after(tenant):
    cache.clear()
    api = api_for(tenant, "viewer")
    for _ in range(3):
        assert api.get("/me").status_code == 200
    response = api.get("/me")
    assert_error_shape(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another token has its own budget.
    assert api_for(tenant, "member").get("/me").status_code == 200


@override_settings(API_RATE_LIMIT_PER_MINUTE=2)
def test_rate_limited_write_changes_nothing(tenant):
    cache.clear()
    api = api_for(tenant, "member")
    assert api.post("/companies", {"name": "One"}).status_code == 201
    assert api.post("/companies", {"name": "Two"}).status_code == 201
    assert_error_shape(api.post("/companies", {"name": "Three"}), 429)
    assert Company.objects.for_account(tenant.account).count() == 2


# --- One error shape -----------------------------------------------------------------------------------


def test_unknown_route_is_404_in_the_error_shape(tenant):
    api = api_for(tenant, "admin")
    assert_error_shape(api.get("/no-such-thing"), 404, "not_found")
    assert_error_shape(Client().get("/api/v1/no/such/thing"), 404, "not_found")


def test_wrong_method_is_405_in_the_error_shape(tenant):
    api = api_for(tenant, "admin")
    response = api.client.put("/api/v1/companies", data="{}", content_type="application/json", headers=api._headers())
    error = assert_error_shape(response, 405, "method_not_allowed")
    assert "PUT" in error["message"]


def test_broken_json_is_400_in_the_error_shape(tenant):
    api = api_for(tenant, "admin")
    error = assert_error_shape(api.post("/companies", "{not json"), 400, "invalid_json")
    assert "body" in error["fields"]


def test_wrong_types_are_422_with_field_errors(tenant):
    api = api_for(tenant, "admin")
    error = assert_error_shape(api.post("/companies", {"name": 5, "owner_id": "x"}), 422, "invalid_request")
    assert set(error["fields"]) == {"name", "owner_id"}


@pytest.mark.parametrize("field", ["account", "account_id", "id", "version", "created_by", "created_at", "source_name"])
def test_mass_assignment_is_refused(tenant, other_tenant, field):
    api = api_for(tenant, "admin")
    error = assert_error_shape(api.post("/companies", {"name": "X", field: other_tenant.account.pk}), 422)
    assert field in error["fields"]
    assert not Company.unscoped.exists()


def test_domain_errors_use_the_api_field_names(tenant):
    api = api_for(tenant, "admin")
    error = assert_error_shape(api.post("/companies", {"name": "X", "owner_id": 999_999}), 400, "validation_error")
    assert list(error["fields"]) == ["owner_id"]


def test_huge_ids_are_refused_before_any_query(tenant):
    api = api_for(tenant, "admin")
    assert_error_shape(api.get(f"/companies/{2**70}"), 422)
    assert_error_shape(api.post("/companies", {"name": "X", "owner_id": 2**70}), 422)
    assert_error_shape(api.get("/companies", {"owner_id": 2**70}), 422)


def test_unknown_query_parameters_are_refused(tenant):
    api = api_for(tenant, "viewer")
    error = assert_error_shape(api.get("/companies", {"onwer_id": tenant.admin.pk}), 422, "invalid_request")
    assert list(error["fields"]) == ["onwer_id"]
    assert_error_shape(api.get("/me", {"verbose": 1}), 422)
    assert api.get("/companies", {"owner_id": tenant.admin.pk, "limit": 5, "cursor": ""}).status_code == 200


def test_an_unknown_query_parameter_without_a_token_is_401_not_422(tenant):
    """Authentication comes first: a caller without a valid token learns nothing about the parameters."""
    anonymous = Client()
    for path in ("/api/v1/companies?onwer_id=1", "/api/v1/me?verbose=1"):
        assert_error_shape(anonymous.get(path), 401)
        assert_error_shape(anonymous.get(path, HTTP_AUTHORIZATION="Bearer hw_not-a-token"), 401)


def test_nul_in_a_query_string_is_a_400_not_a_500(tenant):
    api = api_for(tenant, "admin")
    error = assert_error_shape(api.get("/companies", {"q": "a\x00b"}), 400)
    assert "q" in error["fields"]


# --- Pagination ----------------------------------------------------------------------------------------


def test_keyset_pages_walk_every_row_once_in_order(tenant):
    for i in range(7):
        CompanyFactory(account=tenant.account, name=f"Same name {i % 2}")
    api = api_for(tenant, "viewer")
    seen: list[tuple[str, int]] = []
    cursor = None
    pages = 0
    while True:
        params = {"ordering": "-name", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/companies", params).json()
        assert "count" not in body
        seen += [(c["name"], c["id"]) for c in body["items"]]
        pages += 1
        cursor = body["next"]
        if not cursor:
            break
    assert pages == 3
    assert seen == sorted(seen, key=lambda row: (row[0], row[1]), reverse=True)
    assert len({pk for _, pk in seen}) == 7


def test_page_size_is_capped(tenant):
    api = api_for(tenant, "viewer")
    error = assert_error_shape(api.get("/companies", {"limit": 201}), 422)
    assert "limit" in error["fields"]
    assert api.get("/companies", {"limit": 200}).status_code == 200


@pytest.mark.parametrize("cursor", ["garbage", "eyJvIjoiaWQifQ", "e30", "W10", "eyJvIjoiLW5hbWUiLCJ2IjoxLCJpIjoxfQ"])
def test_bad_cursors_are_400(tenant, cursor):
    api = api_for(tenant, "viewer")
    error = assert_error_shape(api.get("/companies", {"cursor": cursor}), 400)
    assert "cursor" in error["fields"]


def test_a_cursor_is_tied_to_its_ordering(tenant):
    for i in range(3):
        CompanyFactory(account=tenant.account, name=f"C{i}")
    api = api_for(tenant, "viewer")
    cursor = api.get("/companies", {"ordering": "name", "limit": 1}).json()["next"]
    assert_error_shape(api.get("/companies", {"ordering": "created_at", "cursor": cursor}), 400)


def test_unknown_ordering_is_refused(tenant):
    api = api_for(tenant, "viewer")
    error = assert_error_shape(api.get("/companies", {"ordering": "tax_id"}), 422)
    assert "ordering" in error["fields"]


def test_list_query_count_does_not_grow_with_rows(tenant, django_assert_max_num_queries):
    api = api_for(tenant, "viewer")
    api.get("/me")  # last_used_at written now, not inside the measured requests
    for i in range(30):
        CompanyFactory(account=tenant.account, name=f"Co {i}")
    with django_assert_max_num_queries(2):
        assert len(api.get("/companies", {"limit": 50}).json()["items"]) == 30


# --- OpenAPI and docs ----------------------------------------------------------------------------------


def test_openapi_document_is_public_and_complete(tenant):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for path in (
        "/api/v1/me",
        "/api/v1/companies",
        "/api/v1/companies/bulk",
        "/api/v1/persons/{person_id}",
        "/api/v1/deals/bulk",
        "/api/v1/sources/{source_id}/merge",
        "/api/v1/sources/reorder",
        "/api/v1/settings/sources",
        "/api/v1/members/{member_id}",
        "/api/v1/account",
        "/api/v1/rates/{rate_id}",
        "/api/v1/stats/sources.csv",
    ):
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    for path_item in paths.values():
        for operation in path_item.values():
            assert "4XX" in operation["responses"]
            assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert "ErrorOut" in schema["components"]["schemas"]


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"the OpenAPI document names {duplicates} twice in one object"
    return dict(pairs)


def test_preconditions_are_documented_on_every_operation_on_one_object(tenant):
    """ETag on the answers that carry one object, If-Match on the writes to one object; the success answers keep
    their body schema (a "200" added as text beside ninja's 200 once replaced it in the parsed document)."""
    schema = json.loads(Client().get("/api/v1/openapi.json").content, object_pairs_hook=_no_duplicate_keys)
    etag, if_match = set(), set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if "ETag" in answer.get("headers", {}):
                    etag.add((operation["operationId"], status))
                    assert "application/json" in answer["content"], (path, method, status)
            if any(p["name"] == "If-Match" and p["in"] == "header" for p in operation.get("parameters", [])):
                if_match.add(operation["operationId"])
    one_object = {"company", "person", "deal", "source", "rate", "campaign", "spend"}
    expected_etag = {(f"{noun}_get", "200") for noun in one_object} | {(f"{noun}_update", "200") for noun in one_object}
    expected_etag |= {(f"{noun}_create", "201") for noun in one_object}
    expected_etag |= {("source_archive", "200"), ("source_unarchive", "200"), ("account_get", "200")}
    expected_etag |= {("account_update", "200"), ("source_alias_get", "200"), ("source_alias_update", "200")}
    assert etag == expected_etag
    expected_if_match = {f"{noun}_{verb}" for noun in one_object for verb in ("update", "delete")}
    expected_if_match |= {"source_archive", "source_unarchive", "source_merge", "account_update"}
    expected_if_match |= {"source_alias_update", "source_alias_delete"}
    assert if_match == expected_if_match
    csv = schema["paths"]["/api/v1/stats/sources.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]


def test_docs_page_uses_only_our_own_static_files(tenant):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_two_schemas_with_one_name_are_refused():
    def make(fields):
        return type("ThingOut", (Schema,), {"__annotations__": dict.fromkeys(fields, int)})

    first, second = make(["a"]), make(["b"])
    api = HeadwaterAPI(title="t", urls_namespace="t-api")
    router = Router()
    router.add_api_operation("/a", ["GET"], lambda request: {"a": 1}, response=first)
    router.add_api_operation("/b", ["GET"], lambda request: {"b": 1}, response=second)
    api.add_router("/", router)
    with pytest.raises(ImproperlyConfigured, match="ThingOut"):
        api.get_openapi_schema(path_prefix="/")


@pytest.mark.django_db
def test_a_source_deleted_before_the_answer_is_written_gives_no_name_not_a_500(tenant):
    """A write's answer reads the source's name after the write committed; an admin may have deleted the source in
    between (found by the soak test: a 500). The answer then names no source rather than failing."""
    company = CompanyFactory(account=tenant.account)
    company.source_id = 2**40  # a source that no longer exists, not loaded yet
    assert RecordOut.resolve_source_name(company) is None
    company.source_id = None
    assert RecordOut.resolve_source_name(company) is None
