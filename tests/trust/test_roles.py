"""The role matrix: viewer, member and admin against every write, as forms and through the API.

Every answer also carries the security headers, and may be kept by no cache (`Cache-Control: no-store`).

A role below the route's gets 403 (also for GET of forms it may not use) and the database stays byte-for-byte
unchanged (fingerprint of every table before and after): no "403 after the write was already saved". A role at or
above it succeeds, and a write that should change something does, which also proves the bodies used here are valid.
"""

from __future__ import annotations

import pytest

from tests.trust.catalogue import API_OPERATIONS, ROLES, ROUTES, allowed
from tests.trust.fingerprint import changed_tables, db_fingerprint
from tests.trust.http import cache_header_problems, operation_call, security_header_problems, send

pytestmark = pytest.mark.django_db

ACCOUNT_ROUTES = [r for r in ROUTES if r.scope == "account"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ACCOUNT_ROUTES, ids=lambda r: r.name)
def test_html_route_for_each_role(route, role, world):
    ours = world.ours
    client = ours.tenant.client_for(role)
    url = route.url(ours, role=role)
    before = db_fingerprint()
    if route.read is not None:
        response = send(client, "get", url)
        expected = 200 if allowed(role, route.read) else 403
        assert response.status_code == expected, f"GET {url} as {role}: {response.status_code}"
        assert security_header_problems(response) == [], url
        assert changed_tables(before, db_fingerprint()) == [], f"GET {url} wrote"
    else:
        assert send(client, "get", url).status_code == 405
    if route.write is None:
        return
    response = send(client, "post", url, route.body(ours))
    after = db_fingerprint()
    assert security_header_problems(response) == [], f"POST {url}"
    if not allowed(role, route.write):
        assert response.status_code == 403, f"POST {url} as {role}: {response.status_code}"
        assert changed_tables(before, after) == [], f"POST {url} as {role} was refused but wrote"
        return
    assert response.status_code in (200, 302), f"POST {url} as {role}: {response.status_code}"
    if route.changes:
        assert changed_tables(before, after), f"POST {url} as {role} was accepted but changed nothing"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", API_OPERATIONS, ids=lambda o: o.op_id)
def test_api_operation_for_each_role(op, role, world):
    ours = world.ours
    before = db_fingerprint()
    response = operation_call(ours, role, op)
    after = db_fingerprint()
    assert response.get("X-Content-Type-Options") == "nosniff"
    assert cache_header_problems(response) == [], op.op_id
    is_read = op.body is None and op.upload is None and not op.op_id.endswith(("_delete", "_remove"))
    if not allowed(role, op.role):
        assert response.status_code == 403, f"{op.op_id} as {role}: {response.status_code}"
        assert response.json()["error"]["code"] == "permission_denied"
        assert changed_tables(before, after) == [], f"{op.op_id} as {role} was refused but wrote"
        return
    assert 200 <= response.status_code < 300, f"{op.op_id} as {role}: {response.status_code} {response.content[:300]}"
    if is_read:
        assert changed_tables(before, after) == [], f"{op.op_id} is a read but wrote"
    elif op.changes:
        assert changed_tables(before, after), f"{op.op_id} as {role} was accepted but changed nothing"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.scope == "user" and r.write], ids=lambda r: r.name)
def test_personal_pages_work_for_every_role(route, world):
    """Profile, tokens, new account and logout belong to the user, whatever their role in an account."""
    ours = world.ours
    for role in ROLES:
        client = ours.tenant.client_for(role)
        before = db_fingerprint()
        response = send(client, "post", route.url(ours, role=role), route.body(ours))
        assert response.status_code in (200, 302), f"{route.name} as {role}: {response.status_code}"
        if route.changes:
            assert changed_tables(before, db_fingerprint()), f"{route.name} as {role} changed nothing"
        if route.name == "users:account_new":
            break  # the slug is taken once
