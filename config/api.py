"""The REST API v1 (django-ninja): one router per app, token auth, one error shape, a per-token rate limit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from ninja import NinjaAPI
from ninja.errors import ValidationError, ValidationErrorContext
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema

from headwater.campaigns.api import router as campaigns_router
from headwater.capture.api import router as leads_router
from headwater.channels.api import router as channels_router
from headwater.companies.api import router as companies_router
from headwater.core.api_errors import ErrorOut, install_error_handlers
from headwater.core.api_strict import reject_unknown_query
from headwater.deals.api import router as deals_router
from headwater.imports.api import router as imports_router
from headwater.persons.api import router as persons_router
from headwater.sources.api import alias_router as source_aliases_router
from headwater.sources.api import router as sources_router
from headwater.sources.api import settings_router as source_settings_router
from headwater.spend.api import router as spend_router
from headwater.stats.api import rates_router
from headwater.stats.api import router as stats_router
from headwater.users.api import invitations_router, me_router, members_router
from headwater.users.api_auth import TokenAuth, TokenRateThrottle
from headwater.workspace.api import router as account_router

if TYPE_CHECKING:
    from ninja.operation import Operation

DESCRIPTION = """
Headwater's REST API. Every request carries a personal API token (create one on your profile page):
`Authorization: Bearer <token>`. The token decides the account and acts with its member's current role.

Every 4xx answer has one shape: `{"error": {"code": "...", "message": "...", "fields": {"field": ["..."]}}}`.
Lists return `{"items": [...], "next": "<cursor>"}`; pass `cursor=<next>` for the following page.
See docs/api.md for examples.
"""

_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


class StrictOpenAPISchema(OpenAPISchema):
    """ninja names components by class name and lets a later class silently replace an earlier one of the same
    name (two `SourceOut`s, say), leaving operations described with the wrong fields. Refuse that loudly."""

    def add_schema_definitions(self, definitions: dict[str, Any]) -> None:
        for name, definition in definitions.items():
            known = self.schemas.get(name)
            if known is not None and set(known.get("properties", {})) != set(definition.get("properties", {})):
                raise ImproperlyConfigured(
                    f"Two API schemas are both named {name!r} with different fields; rename one of them."
                )
        super().add_schema_definitions(definitions)


class HeadwaterAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        """ninja drops every error's input (it may be a secret); keep a too-long text's length, which the message
        names ("At most 200 characters; you sent 500."), never its content."""
        lengths = [
            len(err["input"]) if err["type"] == "string_too_long" and isinstance(err.get("input"), str) else None
            for context in error_contexts
            for err in context.pydantic_validation_error.errors(include_url=False)
        ]
        error = super().validation_error_from_error_contexts(error_contexts)
        for err, length in zip(error.errors, lengths, strict=True):
            if length is not None:
                err["ctx"] = {**(err.get("ctx") or {}), "input_length": length}
        return error

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Document the shared error shape on every operation (any 4xx), and the rate limit's Retry-After."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = StrictOpenAPISchema(self, path_prefix)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        if "ErrorOut" not in components:
            json_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(json_schema.pop("$defs", {}))
            components["ErrorOut"] = json_schema
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                responses.setdefault(
                    "4XX",
                    {
                        "description": "Error (see `error.code`)",
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
                responses.setdefault(
                    "429",
                    {
                        "description": "Rate limit exceeded for this token",
                        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
        return schema


api = HeadwaterAPI(
    title="Headwater API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenAuth(),
    throttle=TokenRateThrottle(),
    docs=Swagger(settings={"persistAuthorization": False, "tryItOutEnabled": False}),
)
install_error_handlers(api)
api.add_decorator(reject_unknown_query, mode="view")
api.add_router("/me", me_router, tags=["me"])
api.add_router("/companies", companies_router, tags=["companies"])
api.add_router("/persons", persons_router, tags=["persons"])
api.add_router("/deals", deals_router, tags=["deals"])
api.add_router("/sources", sources_router, tags=["sources"])
api.add_router("/channels", channels_router, tags=["channels"])
api.add_router("/settings/sources", source_settings_router, tags=["sources"])
api.add_router("/source-aliases", source_aliases_router, tags=["sources"])
api.add_router("/campaigns", campaigns_router, tags=["campaigns"])
api.add_router("/members", members_router, tags=["members"])
api.add_router("/invitations", invitations_router, tags=["members"])
api.add_router("/stats", stats_router, tags=["statistics"])
api.add_router("/account", account_router, tags=["account"])
api.add_router("/rates", rates_router, tags=["exchange rates"])
api.add_router("/spend", spend_router, tags=["spend"])
api.add_router("/imports", imports_router, tags=["imports"])
api.add_router("/leads", leads_router, tags=["leads"])
