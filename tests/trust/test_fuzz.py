"""Hypothesis-generated input for every form, every page's query string and every API schema: never a 500.

30 examples per form/operation (15 per page's query string and per list's cursors) in the normal suite, 300 with
HEADWATER_LONG=1. Schemathesis (core/tests) already drives every operation from its schema; these add type
confusion, hostile text and forged keys on top of valid bodies, which schema-driven generation seldom reaches.

The keys come from the code, not from a list kept here (tests/trust/inputs.py): what each page reads and the
fields of the forms it builds, the query parameters of each operation's schemas; the guards at the end fail when
a filter form or a query parameter is not walked. Cursors are generated well-formed and signed for their list with
hostile values inside, so the checks behind the signature are fuzzed too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import pytest
from django import forms
from django.http import QueryDict
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.core.cursors import column, read_cursor
from headwater.core.dates import FilterDayField
from headwater.records.forms import RecordFilterForm
from headwater.stats.forms import StatsFilterForm
from headwater.testing.cursors import (
    ACCEPTED_BY_KIND,
    REFUSED_BY_KIND,
    REFUSED_EVERYWHERE,
    column_kind,
    page_cursor,
)
from tests.trust import figures
from tests.trust.catalogue import API_OPERATIONS, OPERATION_BY_ID, ROUTES, Route
from tests.trust.hostile import HOSTILE, post_form
from tests.trust.http import api_call, api_url, operation_call, send
from tests.trust.inputs import Reads, api_query_parameters, cursor_model, orderings_of, recording_reads
from tests.trust.world import Side

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

# Days at the edges: of Python's dates, of the filters' range, and where a time zone pushes midnight out of range.
DAY_EDGES = [
    "0001-01-01",
    "0001-01-02",
    "9999-12-30",
    "9999-12-31",
    "1899-12-31",
    "1900-01-01",
    "2999-12-31",
    "3000-01-01",
]
days = st.one_of(st.dates().map(dt.date.isoformat), st.sampled_from(DAY_EDGES))
texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(list(HOSTILE.values())),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", "0", "-1", "1e309", "NaN", "on", "none", "2026-02-30", "9" * 40, "1,5", "1.005"]),
    days,
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


def cursor_values(kind: str) -> st.SearchStrategy[Any]:
    """A value for a cursor's column of `kind`: refused or accepted edge values, NaN/Infinity, or anything."""
    known = [*REFUSED_EVERYWHERE, *REFUSED_BY_KIND[kind], *ACCEPTED_BY_KIND[kind]]
    return st.one_of(st.sampled_from(known), json_values, st.floats())


def reads_of(client: Any, route: Route, side: Side) -> Reads:
    """What the route reads: one GET (or, for a POST-only route, an empty POST) while recording."""
    url = route.url(side, role="admin")
    with recording_reads() as reads:
        response = send(client, "get", url) if route.read else post_form(client, url, {})
    assert response.status_code < 500, route.name
    return reads


WRITE_ROUTES = [r for r in ROUTES if r.scope in ("account", "user") and r.write]
READ_ROUTES = [r for r in ROUTES if r.scope == "account" and r.read]


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=lambda r: r.name)
def test_forms_never_fail_on_generated_input(route, world):
    ours = world.ours
    client = ours.tenant.client_for("admin")
    base = route.body(ours)
    keys = sorted(set(base) | set(route.texts) | set(route.form) | reads_of(client, route, ours).form_fields)

    @FUZZ
    @given(data=st.data())
    def run(data: Any) -> None:
        body = {k: data.draw(st.one_of(st.just(base[k]), texts) if k in base else texts, label=k) for k in keys}
        body = {k: v for k, v in body.items() if not data.draw(st.booleans(), label=f"drop {k}") or k not in base}
        figures.count("fuzz_requests")
        response = post_form(client, route.url(ours, role="admin"), body)
        assert response.status_code < 500, (route.name, body)

    run()


def query_keys(client: Any, route: Route, side: Side) -> list[str]:
    """The keys a page's query string is fuzzed with: every key it reads and every field of the forms it builds."""
    return sorted(reads_of(client, route, side).walked)


@pytest.mark.parametrize("route", READ_ROUTES, ids=lambda r: r.name)
def test_query_strings_never_fail(route, world):
    ours = world.ours
    client = ours.tenant.client_for("admin")
    url = route.url(ours, role="admin")
    reads = reads_of(client, route, ours)
    # Plus a key nobody reads: an unknown parameter must be as harmless as a known one.
    keys = st.one_of(st.sampled_from(sorted(reads.walked) or ["q"]), st.text(max_size=12))

    # Every day field at every edge once, before the random examples (which seldom draw one exact day).
    for key in sorted(reads.date_fields):
        for day in DAY_EDGES:
            figures.count("fuzz_requests")
            assert send(client, "get", url, {key: day}).status_code < 500, (route.name, key, day)

    @settings(FUZZ, max_examples=QUERY_EXAMPLES)
    @given(data=st.data())
    def run(data: Any) -> None:
        params = {}
        for key in data.draw(st.lists(keys, max_size=6, unique=True), label="keys"):
            values = st.one_of(days, texts) if key in reads.date_fields else texts
            params[key] = data.draw(values, label=key)
        figures.count("fuzz_requests")
        response = send(client, "get", url, params)
        assert response.status_code < 500, (route.name, params)

    run()


def _list_sorts(client: Any, url: str) -> list[tuple[str, Any, type[Any], list[Any]]]:
    """(sort parameter, ordering, model, a real row's key) for every sort a list page offers in its headers."""
    first = send(client, "get", url)
    found = []
    for sort in {first.context["sort"], *(h.sort_param for h in first.context["headers"] if h.sort_param)}:
        page = send(client, "get", url, {"sort": sort}).context["page"]
        assert page.rows, f"{url} shows no rows to take a key from"
        row = page.rows[0]
        key = [getattr(row, column(type(row), name).attname) for name in page.ordering.columns]
        key = [v if isinstance(v, int | str) else v.isoformat() if hasattr(v, "isoformat") else str(v) for v in key]
        found.append((sort, page.ordering, type(row), key))
    return found


LIST_ROUTES = [r for r in READ_ROUTES if r.name.endswith(":list")]


@pytest.mark.parametrize("route", LIST_ROUTES, ids=lambda r: r.name)
def test_list_pages_never_fail_on_signed_cursors_with_hostile_values(route, world):
    ours = world.ours
    client = ours.tenant.client_for("admin")
    url = route.url(ours, role="admin")
    sorts = _list_sorts(client, url)

    @settings(FUZZ, max_examples=QUERY_EXAMPLES * 2)
    @given(data=st.data())
    def run(data: Any) -> None:
        sort, ordering, model, good = data.draw(st.sampled_from(sorts), label="sort")
        key = [
            data.draw(st.one_of(st.just(value), cursor_values(column_kind(column(model, name)))), label=name)
            for name, value in zip(ordering.columns, good, strict=True)
        ]
        if data.draw(st.booleans(), label="reshape key"):
            key = data.draw(st.one_of(json_values, st.lists(json_values, max_size=5)), label="key")
        start = data.draw(st.one_of(st.just(26), st.integers(-(2**70), 2**70), json_values), label="start")
        backward = data.draw(st.one_of(st.booleans(), json_values), label="backward")
        signature = data.draw(st.one_of(st.just(ordering.signature), texts), label="signature")
        signed = data.draw(st.sampled_from([True, True, True, False]), label="signed")
        cursor = page_cursor(model, signature, key, start=start, backward=backward, signed=signed)
        figures.count("fuzz_requests")
        response = send(client, "get", url, {"sort": sort, "cursor": cursor})
        assert response.status_code in (200, 400), (route.name, sort, key, start, backward)

    run()


OP_QUERY_PARAMETERS = api_query_parameters()


@pytest.mark.parametrize("op", API_OPERATIONS, ids=lambda o: o.op_id)
def test_api_never_fails_on_generated_input(op, world):
    ours = world.ours
    token = ours.tokens["admin"]
    # Computed once: an earlier example may have deleted or merged the object the body names (later ones 404/409).
    base = op.body(ours) if op.body is not None else None
    own_ids = {name: ours.id(kind) for name, kind in op.path.items()}
    # Every query parameter the operation's schemas declare, and one it does not (an unknown one is a 422).
    declared = OP_QUERY_PARAMETERS[op.op_id]
    keys = st.one_of(st.sampled_from([*declared, "q"]), st.text(max_size=12))
    day_keys = {name for name, info in declared.items() if "datetime.date" in repr(info.annotation)}
    if not op.path:
        for key in sorted(day_keys):
            for day in DAY_EDGES:
                method, url = api_url(op.op_id, {})
                response = api_call(token, method, url, params={key: day})
                assert response.status_code < 500, (op.op_id, key, day)

    @FUZZ
    @given(data=st.data())
    def run(data: Any) -> None:
        path_ids = {
            name: data.draw(st.one_of(st.just(own), st.integers(min_value=1, max_value=2**63 - 1)))
            for name, own in own_ids.items()
        }
        method, url = api_url(op.op_id, path_ids)
        params = data.draw(st.dictionaries(keys, texts, max_size=6))
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


CURSOR_OPERATIONS = [o for o in API_OPERATIONS if "cursor" in OP_QUERY_PARAMETERS[o.op_id]]

# The operation that adds a row to a list whose create is not named `<x>_create`.
LIST_CREATORS = {"invitation_list": "member_add"}


def _api_sorts(side: Side, op_id: str) -> list[tuple[str, type[Any], str, list[str], list[Any]]]:
    """(ordering, model, the cursor's sort signature, its columns, a real row's key) for every ordering a list
    operation allows.

    The model comes from a real `next` cursor (it is salted with its list's model); when the account has a single
    row, the operation's create adds a second one so there is a next page.
    """
    token = side.tokens["admin"]
    method, url = api_url(op_id, {})
    ordering_parameter = OP_QUERY_PARAMETERS[op_id].get("ordering")
    orderings = orderings_of(ordering_parameter) if ordering_parameter is not None else [""]
    create = OPERATION_BY_ID.get(LIST_CREATORS.get(op_id, op_id.replace("_list", "_create")))
    found = []
    for ordering in orderings:
        params = {"limit": 1, **({"ordering": ordering} if ordering else {})}
        answer = api_call(token, method, url, params=params).json()
        if answer["next"] is None and create is not None and create.upload is not None:
            assert operation_call(side, "admin", create).status_code == 202  # an upload starts a job
            answer = api_call(token, method, url, params=params).json()
        if answer["next"] is None and create is not None and create.body is not None:
            create_method, create_url = api_url(create.op_id, {})
            assert api_call(token, create_method, create_url, body=create.body(side)).status_code == 201
            answer = api_call(token, method, url, params=params).json()
        assert answer["next"], f"{op_id} has no second page to take a cursor from"
        model = cursor_model(answer["next"])
        payload = read_cursor(answer["next"], model=model)
        # The lists' one cursor format (core/pagination.py): the sort's signature ("-created_at"; "" for the
        # id), then the key: the sort's columns and the id.
        columns = [name for name in payload["s"].lstrip("-").split(",") if name] + ["pk"]
        found.append((ordering, model, payload["s"], columns, payload["k"]))
    return found


@pytest.mark.parametrize("op", CURSOR_OPERATIONS, ids=lambda o: o.op_id)
def test_api_lists_never_fail_on_signed_cursors_with_hostile_values(op, world):
    ours = world.ours
    token = ours.tokens["admin"]
    method, url = api_url(op.op_id, {})
    sorts = _api_sorts(ours, op.op_id)

    @settings(FUZZ, max_examples=QUERY_EXAMPLES * 2)
    @given(data=st.data())
    def run(data: Any) -> None:
        ordering, model, signature, columns, good = data.draw(st.sampled_from(sorts), label="ordering")
        key = [
            data.draw(st.one_of(st.just(value), cursor_values(column_kind(column(model, name)))), label=name)
            for name, value in zip(columns, good, strict=True)
        ]
        if data.draw(st.booleans(), label="reshape key"):
            key = data.draw(st.one_of(json_values, st.lists(json_values, max_size=5)), label="key")
        start = data.draw(st.one_of(st.just(26), st.integers(-(2**70), 2**70), json_values), label="start")
        backward = data.draw(st.one_of(st.booleans(), json_values), label="backward")
        named = data.draw(st.one_of(st.just(signature), texts), label="cursor's sort")
        signed = data.draw(st.sampled_from([True, True, True, False]), label="signed")
        params = {"cursor": page_cursor(model, named, key, start=start, backward=backward, signed=signed)}
        if ordering:
            params["ordering"] = ordering
        figures.count("fuzz_requests")
        response = api_call(token, method, url, params=params)
        assert response.status_code in (200, 400, 422), (op.op_id, params, response.content[:300])
        if response.status_code != 200:
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


def test_regression_nul_in_a_pickers_search(world):
    """Found once the query-string fuzzer sent NUL (it used to filter NUL out): a 500 on PostgreSQL."""
    client = world.ours.tenant.client_for("admin")
    slug = world.ours.account.slug
    for url, param in (
        (f"/a/{slug}/companies/lookup/", "company_search"),
        (f"/a/{slug}/persons/lookup/", "person_search"),
    ):
        response = send(client, "get", url, {param: "Ours\x00company"})
        assert response.status_code == 200
        assert "Ours company" not in response.text


# --- Guards: the fuzzers walk what the code reads -------------------------------------------------------------


def _subclasses(cls: type[Any]) -> set[type[Any]]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _query_forms(reads: Reads) -> list[forms.BaseForm]:
    """The forms a page bound to its query string."""
    return [f for f in reads.forms if isinstance(f.data, QueryDict) and f.is_bound]


def test_every_filter_form_and_field_is_walked_by_the_query_fuzzer(world):
    ours = world.ours
    client = ours.tenant.client_for("admin")
    walked: dict[type[Any], set[str]] = {}
    for route in READ_ROUTES:
        reads = reads_of(client, route, ours)
        keys = reads.walked
        for form in _query_forms(reads):
            walked.setdefault(type(form), set()).update(keys)
    filter_forms: set[type[Any]] = {*_subclasses(RecordFilterForm), StatsFilterForm}
    assert filter_forms <= set(walked), f"no page walked these filter forms: {filter_forms - set(walked)}"
    for form_class in filter_forms:
        fields = set(form_class(QueryDict(), account=ours.account).fields)
        assert fields <= walked[form_class], (form_class.__name__, fields - walked[form_class])
    # The keys the hand-kept list once missed.
    dated = {name for keys in walked.values() for name in keys}
    assert {"created_from", "created_to", "closed_from", "closed_to", "start", "end"} <= dated


def test_every_api_query_parameter_is_walked_by_the_api_fuzzer():
    """The published document (what integrators read) against the parameter models the fuzzer walks."""
    spec = Client().get("/api/v1/openapi.json").json()
    for item in spec["paths"].values():
        for operation in item.values():
            published = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            walked = set(OP_QUERY_PARAMETERS[operation["operationId"]])
            assert published <= walked, (operation["operationId"], published - walked)
    assert {"cursor", "ordering", "limit", "q", "status", "period", "start", "end", "compare"} <= {
        name for params in OP_QUERY_PARAMETERS.values() for name in params
    }


def test_the_recorder_would_notice_a_new_filter(world, monkeypatch):
    """A guard is only worth something if it fails: give the deal filters a new field and see it walked."""
    original = RecordFilterForm.__init__

    def with_new_filter(self: RecordFilterForm, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.fields["won_from"] = FilterDayField(required=False)

    monkeypatch.setattr(RecordFilterForm, "__init__", with_new_filter)
    route = next(r for r in READ_ROUTES if r.name == "deals:list")
    assert "won_from" in query_keys(world.ours.tenant.client_for("admin"), route, world.ours)


def test_every_date_filter_takes_the_one_rule(world):
    """Pages and API alike: a filter's day is a FilterDayField / FilterDay (core/dates.py), so year 1, 9999 and
    time zones pushing a day out of range are a field error, never a 500."""
    client = world.ours.tenant.client_for("admin")
    for route in READ_ROUTES:
        for form in _query_forms(reads_of(client, route, world.ours)):
            for name, field in form.fields.items():
                if isinstance(field, forms.DateField):
                    assert isinstance(field, FilterDayField), (route.name, type(form).__name__, name)
    checked = 0
    for op_id, params in OP_QUERY_PARAMETERS.items():
        for name, info in params.items():
            shown = repr(info.annotation) + repr(info.metadata)
            if "datetime.date" in shown:
                assert "_check_filter_day" in shown, (op_id, name, shown)
                checked += 1
    assert checked >= 2  # the statistics' start and end at least
