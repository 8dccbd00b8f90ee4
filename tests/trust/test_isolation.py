"""The isolation walker: every HTML route and every API operation, with the other account's ids wherever an id goes.

Acting as our account's admin (the strongest role: if an admin cannot reach the other account, nobody can):
- the other account's ids in the path: 404;
- the other account's slug in the URL (with either account's ids): 404;
- the other account's ids in the query string (the route's own parameters, and a blanket set of id-like names):
  404, 400 or a page without the other account's data;
- the other account's ids in form fields and JSON bodies: refused (404, or a 400-style field error), never applied;
and in every case the response holds none of the other account's marker and the database is unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.trust.catalogue import API_OPERATIONS, FORM_KEY_ROUTES, ROUTES, TOKEN_ROUTES, Route
from tests.trust.fingerprint import changed_tables, db_fingerprint
from tests.trust.http import api_call, api_url, operation_call, send, set_path
from tests.trust.world import MARKER, World, leaked

pytestmark = pytest.mark.django_db

# Names a careless view might read an id from, though none of ours declares them.
BLANKET_QUERY = {
    "company": "company",
    "person": "person",
    "deal": "deal",
    "source": "source",
    "owner": "user",
    "user": "user",
    "membership": "membership",
    "account": "account",
    "id": "company",
    "pk": "deal",
    "company_id": "company",
    "person_id": "person",
    "source_id": "source",
    "owner_id": "user",
}


def theirs_value(world: World, kind: str, field: str) -> Any:
    value = world.theirs.id(kind.replace("{role}", "admin"))
    return [str(value)] if field == "ordered_ids" else value


def assert_clean(response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert not leaked(response.content), f"{where}: the other account's data ({MARKER}) is in the response"


def _route_id(route: Route) -> str:
    return route.name


@pytest.mark.parametrize("route", [r for r in ROUTES if r.scope == "account"], ids=_route_id)
def test_account_route_refuses_the_other_accounts_ids(route, world):
    ours, theirs = world.ours, world.theirs
    client = ours.tenant.client_for("admin")
    before = db_fingerprint()

    if route.path:
        url = route.url(ours, path_side=theirs)
        for method in ("get", "post"):
            response = send(client, method, url, route.body(ours))
            # A method the route does not answer is refused before anything is looked up (users.access.account_view).
            refused = route.read is None if method == "get" else route.write is None
            expected = {405} if refused else {404}
            assert response.status_code in expected, f"{method.upper()} {url}: {response.status_code}"
            assert_clean(response, url)

    for path_side in (ours, theirs):
        url = route.url(ours, slug_side=theirs, path_side=path_side)
        for method in ("get", "post"):
            response = send(client, method, url, route.body(ours))
            assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"
            assert_clean(response, url)

    url = route.url(ours)
    if route.read is not None:
        for param, kind in {**BLANKET_QUERY, **route.query}.items():
            response = send(client, "get", url, {param: theirs_value(world, kind, param)})
            assert response.status_code in (200, 400, 404), f"GET {url}?{param}=: {response.status_code}"
            assert_clean(response, f"{url}?{param}=")
        response = send(client, "get", url, {p: theirs_value(world, k, p) for p, k in BLANKET_QUERY.items()})
        assert_clean(response, f"{url} with every id-like parameter")

    for field, kind in route.form.items():
        body = route.body(ours)
        body[field] = (
            [theirs_value(world, kind, ""), *body[field][1:]]
            if field == "ordered_ids"
            else theirs_value(world, kind, field)
        )
        response = send(client, "post", url, body)
        # Refused: a 404, a form shown again with the error, or (plain-POST catalogue actions) a redirect that
        # carries the error message. Whichever, nothing may have been written.
        assert response.status_code in (200, 302, 400, 404), f"POST {url} {field}=theirs: {response.status_code}"
        assert_clean(response, f"POST {url} {field}")
        assert changed_tables(before, db_fingerprint()) == [], f"POST {url} with {field}=theirs wrote"

    assert changed_tables(before, db_fingerprint()) == []


@pytest.mark.parametrize("route", [r for r in ROUTES if r.scope != "account"], ids=_route_id)
def test_user_and_public_routes_never_show_the_other_account(route, world):
    ours, theirs = world.ours, world.theirs
    client = ours.tenant.client_for("admin")
    before = db_fingerprint()
    if route.name in TOKEN_ROUTES:
        # The link holds a secret or a signed token: a made-up or tampered one is refused without saying whose it
        # would be, and writes nothing.
        for token in ("1", str(theirs.id("invitation")), "eyJ1Ijo5OTl9:forged:sig", "a" * 43):
            url = reverse(route.name, kwargs={"token": token})
            for method in ("get", "post"):
                response = send(client, method, url, {"action": "accept"} if method == "post" else None)
                assert response.status_code == 400, f"{method.upper()} {url}: {response.status_code}"
                assert_clean(response, url)
    elif route.read is not None:
        url = route.url(ours, role="admin")
        for param, kind in BLANKET_QUERY.items():
            response = send(client, "get", url, {param: theirs_value(world, kind, param)})
            assert_clean(response, f"{url}?{param}=")
    if route.name in FORM_KEY_ROUTES:
        # The key is the capability: the form's page is public whichever account owns it, and a made-up key (or
        # the other account's form id in its place) is 404 without saying more.
        for key in ("1", str(theirs.id("lead_form")), "a" * 32, "x" * 80):
            url = reverse(route.name, kwargs={"key": key})
            for method in ("get", "post"):
                response = send(client, method, url)
                assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"
                assert_clean(response, url)
    elif route.path:
        # Only the api_token_revoke route: someone else's token id is a 404 and stays unrevoked.
        response = send(client, "post", route.url(ours, path_side=theirs, role="admin"))
        assert response.status_code == 404
        assert_clean(response, route.name)
    for field, kind in route.form.items():
        body = {**route.body(ours), field: theirs_value(world, kind, field)}
        response = send(client, "post", route.url(ours), body)
        assert response.status_code in (200, 400, 404)
        assert_clean(response, f"{route.name} {field}")
    assert changed_tables(before, db_fingerprint()) == []


def _op_id(op: Any) -> str:
    return str(op.op_id)


@pytest.mark.parametrize("op", API_OPERATIONS, ids=_op_id)
def test_api_operation_refuses_the_other_accounts_ids(op, world):
    ours, theirs = world.ours, world.theirs
    before = db_fingerprint()

    if op.path:
        response = operation_call(ours, "admin", op, path_side=theirs)
        assert response.status_code == 404, f"{op.op_id} with their ids in the path: {response.status_code}"
        assert response.json()["error"]["code"] == "not_found"
        assert_clean(response, op.op_id)
        # Their token cannot reach their objects through our account's URL either way round.
        response = operation_call(theirs, "admin", op, path_side=ours)
        assert response.status_code == 404
        assert b"Ours" not in response.content

    for param, kind in op.query.items():
        params = {**op.params(ours), param: theirs.id(kind)}
        response = operation_call(ours, "admin", op, params=params)
        assert response.status_code in (200, 400, 404, 422), f"{op.op_id}?{param}=theirs: {response.status_code}"
        assert_clean(response, f"{op.op_id}?{param}")
        if response.status_code == 200 and "items" in response.json():
            assert response.json()["items"] == [], f"{op.op_id}?{param}=theirs listed rows"
        if op.body is None and op.op_id.endswith(("remove", "delete")):
            assert response.status_code >= 400

    for dotted, kind in op.body_ids.items():
        assert op.body is not None
        value: Any = theirs.id(kind)
        if dotted == "ordered_ids":
            value = [theirs.id(kind), *op.body(ours)["ordered_ids"][1:]]
        body = set_path(op.body(ours), dotted, value)
        response = operation_call(ours, "admin", op, body=body)
        assert response.status_code in (400, 404, 422), f"{op.op_id} {dotted}=theirs: {response.status_code}"
        assert_clean(response, f"{op.op_id} {dotted}")

    assert changed_tables(before, db_fingerprint()) == []


def test_a_token_only_ever_acts_in_its_own_account(world):
    """No header, body field or query parameter can point a token at another account."""
    ours, theirs = world.ours, world.theirs
    method, url = api_url("company_list", {})
    response = api_call(ours.tokens["admin"], method, url, params={"account": theirs.account.slug})
    assert response.status_code in (200, 400, 422)
    assert_clean(response, "account= in the query")
    body = {"name": "Smuggled", "account": theirs.id("account"), "account_id": theirs.id("account")}
    response = api_call(ours.tokens["admin"], "post", "/api/v1/companies", body=body)
    assert response.status_code == 422
    assert_clean(response, "account in the body")


def test_the_walker_would_see_a_leak(world, client):
    """The marker check is not vacuous: the other account's own pages do show it to them."""
    theirs = world.theirs
    response = theirs.tenant.client_for("admin").get(f"/a/{theirs.account.slug}/companies/")
    assert leaked(response.content)
    with pytest.raises(AssertionError):
        assert_clean(response, "their own list")


def test_the_echo_tolerant_check_still_sees_planted_rows():
    assert leaked("<td>zqxleak company</td>", echoed=True)
    assert leaked("zqxleak-co@zqxleak.example", echoed=True)
    assert not leaked('<input name="q" value="zqxleak">', echoed=True)
