"""Hypothesis-generated input for every form, every list's query string and every API schema: never a 500.

30 examples per form/operation (15 per page's query string) in the normal suite, 300 with HEADWATER_LONG=1.
Schemathesis (core/tests) already drives every operation from its schema; these add type confusion, hostile text
and forged keys on top of valid bodies, which schema-driven generation seldom reaches.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.trust import figures
from tests.trust.catalogue import API_OPERATIONS, ROUTES
from tests.trust.hostile import HOSTILE, post_form
from tests.trust.http import api_call, api_url, send

pytestmark = pytest.mark.django_db

EXAMPLES = 300 if os.environ.get("HEADWATER_LONG") else 30
# Query strings only ever read: fewer examples per page in the normal suite (one page render each).
QUERY_EXAMPLES = 300 if os.environ.get("HEADWATER_LONG") else 15
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(list(HOSTILE.values())),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", "0", "-1", "1e309", "NaN", "on", "none", "2026-02-30", "9" * 40, "1,5", "1.005"]),
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        texts,
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=8,
)

WRITE_ROUTES = [r for r in ROUTES if r.scope in ("account", "user") and r.write]


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=lambda r: r.name)
def test_forms_never_fail_on_generated_input(route, world):
    ours = world.ours
    client = ours.tenant.client_for("admin")
    base = route.body(ours)
    keys = sorted(set(base) | set(route.texts) | set(route.form))

    @FUZZ
    @given(data=st.data())
    def run(data: Any) -> None:
        body = {k: data.draw(st.one_of(st.just(base[k]), texts) if k in base else texts, label=k) for k in keys}
        body = {k: v for k, v in body.items() if not data.draw(st.booleans(), label=f"drop {k}") or k not in base}
        figures.count("fuzz_requests")
        response = post_form(client, route.url(ours, role="admin"), body)
        assert response.status_code < 500, (route.name, body)

    run()


QUERY_KEYS = [
    "q", "sort", "cursor", "owner", "source", "status", "company", "person", "period", "start", "end", "compare",
    "offset", "events", "company_search", "person_search", "sort_contacts", "sort_open", "sort_closed", "currency",
]  # fmt: skip


@pytest.mark.parametrize("route", [r for r in ROUTES if r.scope == "account" and r.read], ids=lambda r: r.name)
def test_query_strings_never_fail(route, world):
    ours = world.ours
    client = ours.tenant.client_for("admin")
    url = route.url(ours, role="admin")

    @settings(FUZZ, max_examples=QUERY_EXAMPLES)
    @given(params=st.dictionaries(st.sampled_from(QUERY_KEYS), texts.filter(lambda t: "\x00" not in t), max_size=5))
    def run(params: dict[str, str]) -> None:
        figures.count("fuzz_requests")
        response = send(client, "get", url, params)
        assert response.status_code < 500, (route.name, params)

    run()


@pytest.mark.parametrize("op", API_OPERATIONS, ids=lambda o: o.op_id)
def test_api_never_fails_on_generated_input(op, world):
    ours = world.ours
    token = ours.tokens["admin"]
    # Computed once: an earlier example may have deleted or merged the object the body names (later ones 404/409).
    base = op.body(ours) if op.body is not None else None
    own_ids = {name: ours.id(kind) for name, kind in op.path.items()}

    @FUZZ
    @given(data=st.data())
    def run(data: Any) -> None:
        path_ids = {
            name: data.draw(st.one_of(st.just(own), st.integers(min_value=1, max_value=2**63 - 1)))
            for name, own in own_ids.items()
        }
        method, url = api_url(op.op_id, path_ids)
        params = data.draw(st.dictionaries(st.sampled_from([*op.query, "limit", "cursor", "ordering", "q"]), texts))
        params = {k: v.replace("\x00", "") for k, v in params.items()}
        raw = None
        if base is not None:
            body = json.loads(json.dumps(base))
            for key in list(body):
                if data.draw(st.booleans(), label=f"replace {key}"):
                    body[key] = data.draw(json_values, label=key)
            if data.draw(st.booleans(), label="raw bytes"):
                raw = data.draw(st.binary(max_size=200))
            else:
                raw = json.dumps(body).encode()
        figures.count("fuzz_requests")
        response = api_call(token, method, url, params=params, raw=raw)
        assert response.status_code < 500, (op.op_id, params, raw)
        if response.status_code >= 400:
            assert set(response.json()) == {"error"}

    run()


@pytest.mark.parametrize("value", ["9" * 25, "-" + "9" * 25, str(2**63), "1e9"])
def test_regression_huge_numbers_in_query_strings(value, world):
    """Found by the fuzzer: a 20-digit history offset overflowed SQLite's integer (a 500)."""
    client = world.ours.tenant.client_for("admin")
    slug = world.ours.account.slug
    for url, param in (
        (f"/a/{slug}/settings/sources/history/", "offset"),
        (f"/a/{slug}/settings/sources/", "events"),
        (f"/a/{slug}/settings/sources/history/", "events"),
    ):
        assert send(client, "get", url, {param: value}).status_code == 200
