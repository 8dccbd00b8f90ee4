"""Mass assignment: fields a client must never set (account, id, role, version, created_by, staff flags...) are
refused by the API (422, nothing written) and ignored by the forms (the write happens as if they were absent)."""

from __future__ import annotations

from typing import Any

import pytest

from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.imports.models import Import
from headwater.persons.models import Person
from headwater.testing.mail import last_link
from headwater.users.models import Membership, Role, User
from tests.trust.catalogue import API_OPERATIONS, ROUTES
from tests.trust.fingerprint import account_fingerprint, changed_tables, db_fingerprint
from tests.trust.http import operation_call, send, set_path
from tests.trust.world import World

pytestmark = pytest.mark.django_db

FORGED_ID = 987_654


def extras(world: World) -> dict[str, Any]:
    theirs = world.theirs
    return {
        "account": theirs.id("account"),
        "account_id": theirs.id("account"),
        "id": FORGED_ID,
        "pk": FORGED_ID,
        "role": "admin",
        "created_by": theirs.user("admin").pk,
        "created_by_id": theirs.user("admin").pk,
        "created_at": "2001-01-01T00:00:00Z",
        "updated_at": "2001-01-01T00:00:00Z",
        "is_staff": "on",
        "is_superuser": "on",
        "is_active": "",
        "slug": "hijacked",
        "settings_version": 77,
        "sources_enabled": "",
        "name_key": "hijacked",
        "key_hash": "0" * 64,
        "user": theirs.user("admin").pk,
        "user_id": theirs.user("admin").pk,
        "membership": theirs.id("membership"),
        "last_used_at": "2001-01-01T00:00:00Z",
        "origin": "import",
        "origin_import_id": 5,
    }


def _records() -> list[Any]:
    rows: list[Any] = []
    for model in (Company, Person, Deal):
        rows += list(model.unscoped.all())
    return rows


def _invariants(world: World, acting: User, *, before_theirs: dict[str, str], known: set[tuple[str, int]]) -> None:
    ours, theirs = world.ours, world.theirs
    assert account_fingerprint(theirs.account.pk) == before_theirs, "the other account's rows changed"
    assert not User.objects.filter(is_staff=True).exists()
    assert not User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(is_active=False).exists()
    account = Account.objects.get(pk=ours.account.pk)
    assert account.slug == ours.account.slug
    assert account.settings_version <= 2
    for record in _records():
        assert record.pk != FORGED_ID
        if (type(record).__name__, record.pk) not in known:
            assert record.account_id == ours.account.pk
            assert record.created_by_id == acting.pk
            assert record.version == 1
            assert record.created_at.year != 2001
            # By hand or the API; or by running one of our own imports (the wizard's run page), never a forged one.
            ran_ours = (
                record.origin == "import"
                and Import.objects.for_account(ours.account).filter(pk=record.origin_import_id).exists()
            )
            assert ran_ours or (record.origin, record.origin_import_id) in (("hand", None), ("api", None))
    admins = set(Membership.objects.for_account(ours.account).filter(role=Role.ADMIN).values_list("user_id", flat=True))
    assert admins <= {ours.user("admin").pk}


def _known() -> set[tuple[str, int]]:
    return {(type(r).__name__, r.pk) for r in _records()}


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.scope in ("account", "user") and r.write], ids=lambda r: r.name
)
def test_forms_ignore_fields_they_do_not_have(route, world):
    ours = world.ours
    acting = ours.user("admin")
    client = ours.tenant.client_for("admin")
    before_theirs = account_fingerprint(world.theirs.account.pk)
    known = _known()
    body = route.body(ours)
    forged = {k: v for k, v in extras(world).items() if k not in body}
    if "version" not in body:
        forged["version"] = 77
    response = send(client, "post", route.url(ours, role="admin"), {**body, **forged})
    assert response.status_code in (200, 302), f"{route.name}: {response.status_code}"
    _invariants(world, acting, before_theirs=before_theirs, known=known)


WRITE_OPERATIONS = [o for o in API_OPERATIONS if o.body is not None]


@pytest.mark.parametrize("op", WRITE_OPERATIONS, ids=lambda o: o.op_id)
def test_api_bodies_refuse_fields_they_do_not_have(op, world):
    ours = world.ours
    before = db_fingerprint()
    body = op.body(ours)
    forged = {k: v for k, v in extras(world).items() if k not in body}
    if "version" not in body:
        forged["version"] = 77
    targets = ["items.0"] if "items" in body else [""]
    for target in targets:
        for name, value in forged.items():
            dotted = f"{target}.{name}" if target else name
            response = operation_call(ours, "admin", op, body=set_path(body, dotted, value))
            if name == "version" and op.op_id in ("source_archive", "source_unarchive", "source_merge"):
                continue  # these take an optional version: a wrong one is a 409 (checked below)
            assert response.status_code == 422, f"{op.op_id} with {dotted}: {response.status_code}"
            error = response.json()["error"]
            assert error["code"] == "validation_error" or error["fields"], error
            assert changed_tables(before, db_fingerprint()) == [], f"{op.op_id} with {dotted} wrote"


def test_a_wrong_version_is_a_conflict_not_a_write(world):
    ours = world.ours
    before = db_fingerprint()
    for op in WRITE_OPERATIONS:
        body = op.body(ours)
        if "version" not in body or body.get("items"):
            continue
        response = operation_call(ours, "admin", op, body={**body, "version": body["version"] + 5})
        assert response.status_code == 409, f"{op.op_id}: {response.status_code}"
    assert changed_tables(before, db_fingerprint()) == []


def test_sign_up_ignores_staff_flags_and_foreign_accounts(world, client):
    before_theirs = account_fingerprint(world.theirs.account.pk)
    forged = {k: v for k, v in extras(world).items() if k != "slug"}
    response = send(
        client, "post", "/signup/", {"full_name": "New Person", "email": "new-person@example.test", **forged}
    )
    assert response.status_code == 200
    path = last_link("new-person@example.test")
    body = {
        "full_name": "New Person",
        "password1": "a long enough pass phrase",
        "password2": "a long enough pass phrase",
    }
    response = send(client, "post", path, {**body, **forged, "email": "someone-else@example.test"})
    assert response.status_code == 302
    user = User.objects.get(email="new-person@example.test")
    assert not user.is_staff
    assert not user.is_superuser
    assert not Membership.unscoped.filter(user=user).exists()
    assert not User.objects.filter(email="someone-else@example.test").exists()
    assert account_fingerprint(world.theirs.account.pk) == before_theirs
