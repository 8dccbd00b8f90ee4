"""Optimistic locking over HTTP: the `ETag` a single object is served with, and the `If-Match` a write may carry.

An object's ETag is its version in quotes (`"3"`): it changes with every change of the object itself. A write names
the version it read either in the body (`"version": 3`) or as `If-Match: "3"`; when that version is stale the
service refuses with a 409 and changes nothing. Neither given: the write applies to the object as it is now ("last
write wins" for the fields sent, as for an HTTP PATCH without preconditions).

`If-Match` takes exactly one ETag as GET returned it, or `*` (the object must exist, which every write requires
anyway). Anything else (a weak `W/"3"`, a list, a value that is not one of our ETags) is a 400: it could never match,
and a 409 would send the client into a reload-and-retry loop that cannot succeed. A body `version` and an `If-Match`
that name different versions are a 400 for the same reason: the request contradicts itself, whatever the object's
state.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from headwater.core.api_schemas import MAX_ID
from headwater.core.errors import ValidationFailed

IF_MATCH = "If-Match"
_STRONG_ETAG = re.compile(r'"([1-9][0-9]{0,18})"')

ETAG_HEADER_DOC: dict[str, Any] = {
    "description": 'The object\'s version as a strong entity tag (`"3"`); send it back in `If-Match`.',
    "required": True,
    "schema": {"type": "string", "pattern": r'^"[1-9][0-9]*"$'},
}

IF_MATCH_PARAMETER: dict[str, Any] = {
    "name": IF_MATCH,
    "in": "header",
    "required": False,
    "description": (
        'The ETag you read (`"3"`): when the object changed since, the answer is 409 and nothing changes. The same '
        "as the body's `version`; when both are given they must agree (else 400). `*` or no header: no check."
    ),
    "schema": {"type": "string", "pattern": r'^(\*|"[1-9][0-9]{0,18}")$'},
}


def etag(version: int) -> str:
    return f'"{int(version)}"'


def set_etag(response: HttpResponse, version: int) -> None:
    response["ETag"] = etag(version)


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={IF_MATCH: [message]})


def if_match_version(request: HttpRequest) -> int | None:
    """The version named by the request's If-Match header; None when there is none or it is `*`."""
    raw = request.headers.get(IF_MATCH)
    if raw is None:
        return None
    value = raw.strip()
    if value == "*":
        return None
    example = _('Send one ETag exactly as GET returned it, e.g. If-Match: "3".')
    if value.startswith("W/"):
        raise _refused(_("A weak ETag cannot be matched before a change.") + " " + example)
    found = _STRONG_ETAG.fullmatch(value)
    if found is None or int(found.group(1)) > MAX_ID:
        raise _refused(_("This is not an ETag of this API.") + " " + example)
    return int(found.group(1))


def expected_version(request: HttpRequest, body_version: int | None) -> int | None:
    """The version a write must find: from the body, from If-Match, or None for no check. Both must agree."""
    header_version = if_match_version(request)
    if body_version is not None and header_version is not None and body_version != header_version:
        message = _("The body's version (%(body)d) and If-Match (%(header)s) disagree; send one of them.") % {
            "body": body_version,
            "header": etag(header_version),
        }
        raise ValidationFailed(message, fields={"version": [message], IF_MATCH: [message]})
    return body_version if body_version is not None else header_version


def precondition_openapi(*, etag_statuses: tuple[int, ...] = (), if_match: bool = False) -> dict[str, Any]:
    """`openapi_extra` for an operation: the ETag header on the given statuses and the If-Match parameter.

    A fresh copy for each operation: ninja merges it into the operation's document in place.
    """
    extra: dict[str, Any] = {}
    if etag_statuses:
        extra["responses"] = {status: {"headers": {"ETag": ETAG_HEADER_DOC}} for status in etag_statuses}
    if if_match:
        extra["parameters"] = [IF_MATCH_PARAMETER]
    return copy.deepcopy(extra)
