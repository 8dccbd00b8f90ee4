"""The API's roles are stated per router (`AccountRouter(read=..., write=...)`), never checked inside a handler.

Every router with operations must be an AccountRouter whose roles are the ones written down here: a new router, or
one whose roles change, fails `test_every_api_router_states_its_roles` until this table says so. What each role
then gets from each router is tested with the routers' own operations in the apps' test_api modules.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.api import api
from headwater.testing.api import api_for
from headwater.users.api_auth import AccountRouter
from headwater.users.models import Role

V, M, A = Role.VIEWER, Role.MEMBER, Role.ADMIN

# Mount prefix: (the role needed to read, the role needed to write); None: the router has no such operations.
ROUTER_ROLES: dict[str, tuple[Role | None, Role | None]] = {
    "/me": (V, None),
    "/companies": (V, M),
    "/persons": (V, M),
    "/deals": (V, M),
    "/sources": (V, A),
    "/channels": (V, A),
    "/settings/sources": (V, A),
    "/source-aliases": (V, A),
    "/campaigns": (V, A),
    "/spend": (V, A),
    "/members": (V, A),
    "/invitations": (A, A),
    "/stats": (V, None),
    "/account": (V, A),
    "/rates": (V, A),
    "/imports": (M, M),
    "/leads": (None, M),
}


def _mounted() -> dict[str, object]:
    api.get_openapi_schema()  # binds the routers (ninja does it lazily)
    return {prefix: router for prefix, router in api._routers if router.path_operations}


def test_every_api_router_states_its_roles():
    mounted = _mounted()
    plain = sorted(prefix for prefix, router in mounted.items() if not isinstance(router, AccountRouter))
    assert not plain, f"API routers that state no roles: {plain}; make each an AccountRouter(read=..., write=...)"
    declared = {prefix: (router.read, router.write) for prefix, router in mounted.items()}
    assert declared == ROUTER_ROLES, "a router's roles changed or a router is new: update ROUTER_ROLES"


def test_an_operation_no_role_may_use_fails_when_the_module_loads():
    router = AccountRouter(read=V, write=None)
    router.get("")(lambda request: {})
    with pytest.raises(ImproperlyConfigured, match="POST"):
        router.post("")(lambda request: {})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [("viewer", 403), ("member", 403), ("admin", 200)],
)
def test_a_router_refuses_below_its_read_role_in_the_error_shape(tenant, role, status):
    response = api_for(tenant, role).get("/invitations")
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"]["code"] == "permission_denied"
        assert response.json()["error"]["message"] == "Only an admin of this account can do this."
