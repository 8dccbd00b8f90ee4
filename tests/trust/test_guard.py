"""The catalogue must describe every route and operation: adding one without describing it fails here."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.trust.catalogue import API_DOCUMENT_ROUTES, API_OPERATIONS, ROUTE_BY_NAME, ROUTES, TOKEN_ROUTES
from tests.trust.http import openapi_operations

pytestmark = pytest.mark.django_db

KINDS = {
    "account", "company", "person", "deal", "won_deal", "source", "spare_source", "archived_source", "membership",
    "viewer_membership", "invitation", "{role}_invitation", "user", "rate", "token", "{role}_token", "job",
    "alias", "import", "rule", "spare_rule", "channel", "spare_channel", "campaign", "spare_campaign",
    "run_import", "export_job", "lead_form", "spare_lead_form", "spend", "spare_spend",
}  # fmt: skip


def url_names() -> dict[str, str]:
    """{namespace:name: route pattern} for every URL the project serves."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace
                full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
                walk(entry, prefix + str(entry.pattern), full)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
                found[name] = prefix + str(entry.pattern)

    walk(get_resolver(), "", None)
    return found


def test_every_html_route_is_described():
    html = {name for name in url_names() if not name.startswith("api:")}
    missing = html - set(ROUTE_BY_NAME)
    stale = set(ROUTE_BY_NAME) - html
    assert not missing, f"Describe these routes in tests/trust/catalogue.py ROUTES: {sorted(missing)}"
    assert not stale, f"These catalogue routes no longer exist: {sorted(stale)}"
    assert len(ROUTES) == len(ROUTE_BY_NAME), "a route is described twice"


def test_every_api_route_is_an_operation_or_the_document():
    api = {name.removeprefix("api:") for name in url_names() if name.startswith("api:")}
    documents = {name.removeprefix("api:") for name in API_DOCUMENT_ROUTES}
    assert api == documents | set(openapi_operations())


def test_every_api_operation_is_described():
    described = {o.op_id for o in API_OPERATIONS}
    document = set(openapi_operations())
    assert not document - described, f"Describe these in catalogue.API_OPERATIONS: {sorted(document - described)}"
    assert not described - document, f"Stale catalogue operations: {sorted(described - document)}"
    assert len(described) == len(API_OPERATIONS)


def test_path_arguments_match_the_url_patterns():
    patterns = url_names()
    for route in ROUTES:
        pattern = patterns[route.name]
        arguments = set(re.findall(r"<(?:\w+:)?(\w+)>", pattern)) - {"account_slug"}
        if route.name in TOKEN_ROUTES:
            continue  # a secret or signed token, not an object id (walked separately)
        assert arguments == set(route.path), route.name
        assert ("account_slug" in pattern) == (route.scope == "account"), route.name
    for op in API_OPERATIONS:
        _, template = openapi_operations()[op.op_id]
        assert set(re.findall(r"{(\w+)}", template)) == set(op.path), op.op_id


def test_every_kind_named_exists_in_the_world():
    used = set()
    for route in ROUTES:
        used |= set(route.path.values()) | set(route.query.values()) | set(route.form.values())
    for op in API_OPERATIONS:
        used |= set(op.path.values()) | set(op.query.values()) | set(op.body_ids.values())
    assert used <= KINDS, used - KINDS


def test_the_guard_would_notice_a_new_route(monkeypatch):
    """The guard is only worth something if it fails: pretend a route was added and see the difference."""
    names = url_names()
    names["companies:export"] = "a/<slug:account_slug>/companies/export/"
    html = {name for name in names if not name.startswith("api:")}
    assert html - set(ROUTE_BY_NAME) == {"companies:export"}
