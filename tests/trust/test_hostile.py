"""The hostile corpus through every form field and every API text field.

Each value is either refused with a clear, field-level error (and nothing is written), or stored as typed and shown
escaped; never a 500. NUL, other control characters and lone surrogates must be refused (PostgreSQL cannot store
NUL; nobody types the others on purpose).
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from itertools import count
from typing import Any

import pytest

from headwater.companies.services import company_create
from headwater.core.spreadsheet import cell, neutralise
from headwater.core.text import normalise_spaces
from headwater.sources.services import source_create
from tests.trust.catalogue import API_OPERATIONS, ROUTES, Route
from tests.trust.fingerprint import changed_tables, db_fingerprint
from tests.trust.hostile import (
    HOSTILE,
    MUST_REFUSE,
    MUST_REFUSE_IN_NAMES,
    NAME_FIELDS,
    post_form,
    rendered_safely,
    shown_as_typed,
)
from tests.trust.http import api_call, api_url, send, set_path
from tests.trust.world import Side

pytestmark = pytest.mark.django_db

_unique = count()

# Fields whose value must differ on each attempt, or the second attempt fails for another reason (taken).
UNIQUE = {"users:account_new": ("slug", "trust-{n}"), "account_settings:members": ("email", "trust-{n}@alpha.example")}
# Where a stored value shows up after a successful POST (besides the page the POST redirects to).
RECORD_ROUTES = {"companies", "persons", "deals"}


def _body(route: Route, side: Side) -> dict[str, Any]:
    body = route.body(side)
    if route.name in UNIQUE:
        field, pattern = UNIQUE[route.name]
        body[field] = pattern.format(n=next(_unique))
    return body


def _pages_after(client: Any, route: Route, response: Any) -> list[str]:
    """The page that shows what was just stored: a record's edit form holds every field; else the redirect target."""
    if response.status_code != 302:
        return [response.content.decode()]
    location = response["Location"]
    if route.name.split(":")[0] in RECORD_ROUTES and location.rstrip("/").split("/")[-1].isdigit():
        location += "edit/"
    return [send(client, "get", location).content.decode()]


FORM_FIELDS = [(r, f) for r in ROUTES if r.scope in ("account", "user") for f in r.texts]


@pytest.mark.parametrize(("route", "field"), FORM_FIELDS, ids=lambda v: getattr(v, "name", v))
def test_hostile_text_in_every_form_field(route, field, world):
    ours = world.ours
    client = ours.tenant.client_for("admin")
    for name, value in HOSTILE.items():
        before = db_fingerprint()
        response = post_form(client, route.url(ours, role="admin"), {**_body(route, ours), field: value})
        where = f"{route.name} {field}={name}"
        assert response.status_code in (200, 302, 400), f"{where}: {response.status_code}"
        wrote = bool(changed_tables(before, db_fingerprint()))
        pages = _pages_after(client, route, response)
        for page in pages:
            assert not rendered_safely(page), f"{where}: {rendered_safely(page)}"
        # A form cannot carry a lone surrogate: its bytes are not UTF-8, and Django decodes them to U+FFFD.
        refused = MUST_REFUSE_IN_NAMES if field in NAME_FIELDS else MUST_REFUSE
        if name in refused - {"lone_surrogate"}:
            assert not wrote, f"{where} was stored"
        if wrote:
            if name != "lone_surrogate":
                assert any(shown_as_typed(p, value) for p in pages), f"{where}: stored but not shown as typed"
        elif route.name != "users:profile" or field != "full_name" or value.strip():
            assert 'role="alert"' in pages[0] or response.status_code == 302, f"{where}: refused without an error"
    if route.name.split(":")[0] in RECORD_ROUTES:
        # Lists and details show the stored names too.
        listing = f"/a/{ours.account.slug}/{route.name.split(':')[0]}/"
        assert not rendered_safely(send(client, "get", listing).content.decode())


API_FIELDS = [(o, f) for o in API_OPERATIONS for f in o.texts]


@pytest.mark.parametrize(("op", "field"), API_FIELDS, ids=lambda v: getattr(v, "op_id", v))
def test_hostile_text_in_every_api_field(op, field, world):
    ours = world.ours
    token = ours.tokens["admin"]
    for name, value in HOSTILE.items():
        path_ids = {p: ours.id(kind) for p, kind in op.path.items()}
        method, url = api_url(op.op_id, path_ids)
        body = op.body(ours)
        # json.dumps escapes a lone surrogate as \ud800: valid JSON text that decodes to an invalid string.
        raw = json.dumps(set_path(body, field, value)).encode()
        before = db_fingerprint()
        response = api_call(token, method, url, raw=raw)
        where = f"{op.op_id} {field}={name}"
        assert response.status_code in (200, 201, 400, 422), f"{where}: {response.status_code} {response.content[:200]}"
        wrote = bool(changed_tables(before, db_fingerprint()))
        if response.status_code >= 400:
            assert not wrote, f"{where} was refused but wrote"
            error = response.json()["error"]
            assert error["message"]
            assert error["fields"], f"{where}: the error names no field"
            continue
        key = field.split(".")[-1]
        is_name = key in NAME_FIELDS
        assert name not in (MUST_REFUSE_IN_NAMES if is_name else MUST_REFUSE), f"{where} was accepted"
        stored = response.json()
        if "items" in stored:
            stored = stored["items"][0]
        expected = (normalise_spaces(value),) if is_name else (value, value.strip())
        assert stored[key] in expected, f"{where}: stored {stored[key][:50]!r}"


def test_csv_export_neutralises_formulas(world):
    """Cells a spreadsheet would run as a formula start with an apostrophe; the text is otherwise as typed.
    (Names are trimmed, so a leading tab or newline cannot reach a cell through a name; `neutralise` covers them.)"""
    ours = world.ours
    account, admin = ours.account, ours.user("admin")
    starts = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", '=HYPERLINK("http://evil.example")', "=cmd|' /C calc'!A0"]
    for i, text in enumerate(starts):
        source = source_create(account=account, user=admin, name=f"{text} {i}")
        company_create(account=account, user=admin, name=f"Co {i}", source=source)
    response = send(ours.tenant.client_for("viewer"), "get", f"/a/{account.slug}/stats/sources/export.csv")
    assert response.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for cell in row]
    for i, text in enumerate(starts):
        assert f"'{text} {i}" in cells, f"{text!r} was not neutralised"
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r", "\n")]
    for start in ("\tx", "\rx", "\nx", "-x"):
        assert neutralise(start) == f"'{start}"
    assert cell(Decimal("-5")) == "-5"
