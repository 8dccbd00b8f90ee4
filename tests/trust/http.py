"""Small request helpers shared by the trust tests; every request they send is counted for the figures."""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.test import Client

from tests.trust import figures
from tests.trust.world import Side


def query_string(params: dict[str, Any]) -> str:
    """urlencode that passes lone surrogates through as raw bytes (as a hostile client could send them)."""
    pairs = []
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append((key, str(item).encode("utf-8", "surrogatepass")))
    return urlencode(pairs)


def send(client: Client, method: str, url: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    """GET with `data` as the query string, POST with `data` as a form."""
    figures.count("requests")
    if method == "get":
        response = client.get(f"{url}?{query_string(data)}" if data else url, **extra)
    else:
        response = client.post(url, data or {}, **extra)
    return materialised(response)


def materialised(response: Any) -> Any:
    """A streamed response (a list's CSV or XLSX export) read whole, as a plain response, so `.content` works like
    any other's; the test client's extras (request, templates) come along."""
    if not getattr(response, "streaming", False):
        return response
    # Read to the end, the test client closes it (without closing the test's database connection, as an explicit
    # close() would: its request_finished signal closes old connections).
    body = b"".join(response.streaming_content)
    copy = HttpResponse(body, status=response.status_code)
    for header, value in response.items():
        copy[header] = value
    for name in ("client", "request", "wsgi_request", "templates", "context", "resolver_match"):
        if hasattr(response, name):
            setattr(copy, name, getattr(response, name))
    copy.json = lambda: json.loads(body)  # as the test client adds it
    return copy


@cache
def openapi_operations() -> dict[str, tuple[str, str]]:
    """{operationId: (method, path template)} from the live OpenAPI document."""
    document = Client().get("/api/v1/openapi.json").json()
    found = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            found[operation["operationId"]] = (method, path)
    return found


def api_url(op_id: str, path_ids: dict[str, int]) -> tuple[str, str]:
    method, template = openapi_operations()[op_id]
    return method, template.format(**path_ids)


def api_call(
    token: str,
    method: str,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    body: Any = None,
    raw: bytes | None = None,
) -> Any:
    figures.count("requests")
    client = Client()
    if params:
        url = f"{url}?{query_string(params)}"
    headers = {"Authorization": f"Bearer {token}"}
    sender = getattr(client, method)
    if method in ("get", "delete") and body is None and raw is None:
        return sender(url, headers=headers)
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    return sender(url, data=data, content_type="application/json", headers=headers)


def operation_call(
    side: Side,
    role: str,
    op: Any,
    *,
    path_side: Side | None = None,
    params: dict[str, Any] | None = None,
    body: Any = None,
) -> Any:
    """Call an operation as `side`'s `role`; path ids from `path_side` (default: the same side)."""
    path_ids = {name: (path_side or side).id(kind) for name, kind in op.path.items()}
    method, url = api_url(op.op_id, path_ids)
    if body is None and op.body is not None:
        body = op.body(side)
    return api_call(side.tokens[role], method, url, params=params if params is not None else op.params(side), body=body)


def set_path(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of `body` with `a.0.b` set to `value`."""
    body = json.loads(json.dumps(body))
    target: Any = body
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    target[last] = value
    return body


def security_header_problems(response: Any) -> list[str]:
    """What a page lacks of the headers every response must carry (CSP without inline script, nosniff, ...)."""
    problems = []
    csp = response.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ")[0]: d for d in csp.split(";") if d.strip()}
    for name in ("script-src", "style-src"):
        if name not in directives or "'unsafe-inline'" in directives[name] or "'unsafe-eval'" in directives[name]:
            problems.append(f"{name}: {directives.get(name)!r}")
    if "frame-ancestors 'none'" not in csp and response.get("X-Frame-Options") != "DENY":
        problems.append("no frame protection")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if not response.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    problems += cache_header_problems(response)
    return problems


def cache_header_problems(response: Any) -> list[str]:
    """Our answers may be kept by no cache, and a URL that can answer an htmx fragment says so."""
    problems = []
    if "no-store" not in response.get("Cache-Control", ""):
        problems.append(f"Cache-Control without no-store: {response.get('Cache-Control')!r}")
    if "hx-request" not in response.get("Vary", "").lower():
        problems.append(f"Vary without HX-Request: {response.get('Vary')!r}")
    return problems
