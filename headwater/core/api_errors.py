"""One JSON error shape for every 4xx the API answers: `{"error": {"code", "message", "fields"}}`.

Services raise `core.errors.DomainError`; ninja raises its own validation, auth and throttling errors; Django's URL
resolver and ninja's method dispatch answer 404/405 before any handler runs. All of them end up here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from headwater.core.errors import DomainError, Unavailable, ValidationFailed

if TYPE_CHECKING:
    from ninja import NinjaAPI

API_PREFIX = "/api/v1/"

# Services name linked objects by their model field; the API names them by the id field the client sent. Both ways
# (records/api.py turns a body's names into the services' keywords with it).
API_FIELD_NAMES = {
    "source": "source_id",
    "campaign": "campaign_id",
    "owner": "owner_id",
    "company": "company_id",
    "person": "person_id",
    "into": "into_id",
    "reassign_to": "reassign_to_id",
}


class ErrorDetail(Schema):
    code: str = Field(description="A stable, machine-readable code, e.g. `validation_error`, `conflict`.")
    message: str = Field(description="A human-readable explanation in the request's language.")
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Per-field messages: `{field: [messages]}`. Bulk operations report rows by index: "
            '`{"rows": {"3": {"name": ["..."]}}}`.'
        ),
    )


class ErrorOut(Schema):
    error: ErrorDetail


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def api_field_names(fields: dict[str, Any]) -> dict[str, Any]:
    return {API_FIELD_NAMES.get(name, name): messages for name, messages in fields.items()}


def form_failure(errors: Any) -> ValidationFailed:
    """A page's form refused the values (`form.errors`): the same messages, per field, as the API's 400."""
    fields = {name: [str(message) for message in messages] for name, messages in errors.items()}
    return ValidationFailed(_("Please correct the highlighted fields."), fields=fields)


def error_response(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields), status=status)


def _location_to_field(loc: list[Any]) -> list[str]:
    """Turn ninja's error location (`["body", "payload", "items", 3, "name"]`) into our field path."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        source = parts[0]
        parts = parts[1:]
        # Body parameters are nested under the handler's argument name (`payload`); query filters under theirs.
        if source in ("body", "query") and parts and parts[0] in ("payload", "filters", "params"):
            parts = parts[1:]
        if not parts:
            parts = ["body" if source == "body" else "__all__"]
    return parts or ["__all__"]


def _pydantic_message(err: dict[str, Any]) -> str:
    """pydantic's messages are English only: say the common ones in the request's language."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    messages: dict[str, Callable[[], str]] = {
        "missing": lambda: _("This field is required."),
        "extra_forbidden": lambda: _("Unknown field; it is not part of this request."),
        "string_type": lambda: _("Enter text (a JSON string)."),
        "string_too_long": lambda: _too_long(ctx),
        "string_pattern_mismatch": lambda: _("This value has the wrong format."),
        "int_type": lambda: _("Enter a whole number."),
        "int_parsing": lambda: _("Enter a whole number."),
        "bool_type": lambda: _("Send true or false."),
        "bool_parsing": lambda: _("Send true or false."),
        "literal_error": lambda: _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "enum": lambda: _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "date_type": lambda: _("Enter a date as YYYY-MM-DD."),
        "date_parsing": lambda: _("Enter a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": lambda: _("Enter a date as YYYY-MM-DD."),
        "less_than_equal": lambda: _("At most %(max)s.") % {"max": ctx.get("le", "")},
        "greater_than_equal": lambda: _("At least %(min)s.") % {"min": ctx.get("ge", "")},
        "list_type": lambda: _("Send a list."),
        "model_type": lambda: _("Send an object."),
        "dict_type": lambda: _("Send an object."),
    }
    make = messages.get(kind)
    return make() if make else str(err.get("msg", _("Invalid value.")))


def _too_long(ctx: dict[str, Any]) -> str:
    """The limit and how long the text was (config/api.py keeps the length): refused, never cut."""
    limit = int(ctx.get("max_length", 0))
    if isinstance(ctx.get("input_length"), int):
        return _("At most %(max)d characters; you sent %(count)d.") % {"max": limit, "count": ctx["input_length"]}
    return _("At most %(max)d characters.") % {"max": limit}


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for err in errors:
        path = _location_to_field(list(err.get("loc", [])))
        if err.get("type") == "json_invalid":
            path = ["body"]
        message = _pydantic_message(err)
        if len(path) >= 2 and path[0] == "items" and path[1].isdigit():
            row = fields.setdefault("rows", {}).setdefault(path[1], {})
            row.setdefault(".".join(path[2:]) or "__all__", []).append(message)
        else:
            fields.setdefault(api_field_names({".".join(path): None}).popitem()[0], []).append(message)
    return fields


def _domain_error(request: HttpRequest, exc: DomainError, api: NinjaAPI) -> HttpResponse:
    fields = exc.fields if "rows" in exc.fields else api_field_names(exc.fields)
    response = api.create_response(request, error_body(exc.code, exc.message, fields), status=exc.status)
    if isinstance(exc, Unavailable):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _validation_error(request: HttpRequest, exc: NinjaValidationError, api: NinjaAPI) -> HttpResponse:
    return api.create_response(
        request,
        error_body("invalid_request", _("The request is not valid."), validation_fields(list(exc.errors))),
        status=422,
    )


def _authentication_error(request: HttpRequest, exc: AuthenticationError, api: NinjaAPI) -> HttpResponse:
    response = api.create_response(
        request,
        error_body(
            "unauthorized",
            _("A valid API token is required: send the header “Authorization: Bearer <token>”."),
        ),
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _throttled(request: HttpRequest, exc: Throttled, api: NinjaAPI) -> HttpResponse:
    return api.create_response(
        request,
        error_body("rate_limited", _("Too many requests for this token; wait and retry (see Retry-After).")),
        status=429,
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _http_error(request: HttpRequest, exc: HttpError, api: NinjaAPI) -> HttpResponse:
    if exc.status_code == 400 and str(exc) == "Cannot parse request body":
        body = error_body("invalid_json", _("The request body is not valid JSON."), {"body": [_("Not valid JSON.")]})
        return api.create_response(request, body, status=400)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)


def _not_found(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, error_body("not_found", _("Not found.")), status=404)


def _forbidden(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    return api.create_response(
        request, error_body("permission_denied", _("Your role does not allow this.")), status=403
    )


def install_error_handlers(api: NinjaAPI) -> None:
    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (DomainError, _domain_error),
        (NinjaValidationError, _validation_error),
        (AuthenticationError, _authentication_error),
        (Throttled, _throttled),
        (HttpError, _http_error),
        (Http404, _not_found),
        (DjangoPermissionDenied, _forbidden),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, _bind(handler, api))


def _bind(handler: Callable[..., HttpResponse], api: NinjaAPI) -> Callable[[HttpRequest, Any], HttpResponse]:
    def bound(request: HttpRequest, exc: Any) -> HttpResponse:
        return handler(request, exc, api)

    return bound


def _is_json(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/json")


class ApiErrorShapeMiddleware:
    """Give the API's own 4xx answers that never reach a ninja handler (unknown route, wrong method) our shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400 or response.status_code >= 500:
            return response
        if _is_json(response):
            return response
        status = response.status_code
        if status == 404:
            shaped = error_response(404, "not_found", _("There is no such API endpoint or object."))
        elif status == 405:
            shaped = error_response(
                405, "method_not_allowed", _("The method %(method)s is not allowed here.") % {"method": request.method}
            )
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
        else:
            shaped = error_response(status, _HTTP_CODES.get(status, "error"), _message_from(response))
        for header in ("Retry-After", "WWW-Authenticate"):
            if response.has_header(header):
                shaped[header] = response[header]
        return shaped


def _message_from(response: HttpResponse) -> str:
    return str(response.reason_phrase)
