"""What the company, person and deal endpoints share: their six operations (`record_router`), id fields → service
arguments, lookups, filters, bulk.

The handlers stay thin: they resolve the account from the token, turn the body into the service's keyword
arguments (the same services the UI calls), and render. Reads scope every query by the token's account. A list
is read by the list page's own selector, with its sorts and cursors: the query parameters become the page's
filters (`list_filters`), `ordering` one of its sorts (schemas: `api_sorts`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, BeforeValidator, Field, create_model

from headwater.core.api_errors import API_FIELD_NAMES, api_field_names
from headwater.core.api_pagination import PageParams, api_page
from headwater.core.api_preconditions import expected_version, if_match_version, precondition_openapi, set_etag
from headwater.core.api_schemas import Id, IdPath, InSchema
from headwater.core.bidi import isolate
from headwater.core.errors import DomainError, FeatureDisabled, NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.core.pagination import Page, Sorts
from headwater.core.text import text_problem
from headwater.core.types import UNSET
from headwater.records.bulk import BULK_CHANGE_LIMIT, records_bulk_change
from headwater.records.listing import RecordFilters
from headwater.records.models import CrmRecord, RecordOrigin
from headwater.records.registry import kind_of
from headwater.sources.models import HowChanged, Source
from headwater.sources.selectors import source_by_name, source_name_resolver
from headwater.users.api_auth import AccountRouter, account_of, user_of
from headwater.users.models import Role

_R = TypeVar("_R", bound=CrmRecord)
_F = TypeVar("_F", bound=Callable[..., Any])
_Filters = TypeVar("_Filters", bound=RecordFilters)

# ninja's `Query[...]` as a value (mypy knows it only as an annotation): a query-string parameter of that schema.
_QUERY: Any = Query

BULK_MAX_ROWS = 1000
# The linked records a list's rows show in the API: the source's name (RecordOut). The pages join more for their
# columns; joining those too cost a deal list of 50 about half again as much, for names the API does not show.
API_RELATED = ("source", "campaign")

# Body field → service keyword: the API names links by id, the services take an id or an instance.
_LINKS = {api: service for service, api in API_FIELD_NAMES.items()}


def source_from_name(
    *, account: Account, sent: set[str], data: dict[str, Any], resolve: Callable[[str], Source | None] | None = None
) -> None:
    """A body's `source_name` (instead of `source_id`) as the source's id, in place: the name, one of its aliases, or
    the same name ignoring case, spaces, accents and look-alike characters; never a guess. A name that matches
    nothing is a 400 on `source_name`; null means no source, like `"source_id": null`."""
    name = data.pop("source_name", None)
    if "source_name" not in sent:
        return
    if "source_id" in sent:
        raise ValidationFailed.on("source_name", _("Send either source_id or source_name, not both."))
    if not account.sources_enabled:
        raise FeatureDisabled(
            _("Acquisition sources are switched off for this account; an admin can switch them on in the settings."),
            fields={"source_name": [_("Acquisition sources are switched off for this account.")]},
        )
    if name is None:
        data["source_id"] = None
        return
    source = (resolve or (lambda text: source_by_name(account=account, name=text)))(name)
    if source is None:
        raise ValidationFailed.on(
            "source_name",
            _(
                "No source of this account is named “%(name)s” or has it as an alias. Use a name from the source "
                "catalogue (GET /api/v1/sources), or ask an admin to add the alias."
            )
            % {"name": isolate(name)},
        )
    data["source_id"] = source.pk
    sent.add("source_id")


def service_kwargs(
    payload: BaseModel, *, creating: bool, account: Account, resolve: Callable[[str], Source | None] | None = None
) -> dict[str, Any]:
    """The fields the client sent, renamed for the service. On create an omitted `source_id` means "apply the
    account's default rule" (UNSET); an explicit null means "no source". A created record's origin is the API."""
    sent = set(payload.model_fields_set)
    data = payload.model_dump(include=sent) if not creating else payload.model_dump()
    source_from_name(account=account, sent=sent, data=data, resolve=resolve)
    kwargs = {_LINKS.get(name, name): value for name, value in data.items()}
    if creating and "source_id" not in sent:
        kwargs["source"] = UNSET
    if "source" in kwargs or creating:
        kwargs["source_how"] = HowChanged.API
    if creating:
        kwargs["origin"] = RecordOrigin.API
    return kwargs


def patch_kwargs(request: HttpRequest, payload: BaseModel) -> tuple[int | None, dict[str, Any]]:
    """The version the change must find (body or If-Match; None: no check) and the fields sent, for the service."""
    kwargs = service_kwargs(payload, creating=False, account=account_of(request))
    body_version = kwargs.pop("version", None)
    return expected_version(request, None if body_version is None else int(body_version)), kwargs


def record_get(model: type[_R], *, account: Account, pk: int) -> _R:
    """One record of the account, or 404 whether it is missing or another account's."""
    manager: Any = model.objects
    record: _R | None = manager.for_account(account).select_related("source", "campaign").filter(pk=pk).first()
    if record is None:
        raise NotFound(_("Not found."))
    return record


def check_query_text(field: str, value: str | None) -> str | None:
    """Query strings reach SQL: refuse what the database cannot compare (NUL) with a 400, not a 500."""
    if value is None:
        return None
    problem = text_problem(value)
    if problem:
        raise ValidationFailed.on(field, problem)
    return value.strip() or None


def list_filters(params: BaseModel, kind: type[_Filters]) -> _Filters:
    """A list's query parameters as its page's filters: `q` checked, `owner_id=5` → owner, `source_id=none` → no
    source, `company_id=7` → company, `status` as it is; a parameter not sent keeps the filter's default. Another
    account's id finds nothing, as the selector scopes every query."""
    sent = params.model_dump(exclude={"ordering"}, exclude_none=True)
    values: dict[str, Any] = {"q": check_query_text("q", sent.pop("q", None)) or ""}
    source = sent.pop("source_id", None)
    if source == "none":
        values["no_source"] = True
    elif source is not None:
        values["source"] = int(source)
    values.update({name.removesuffix("_id"): value for name, value in sent.items()})
    return kind(**values)


def bulk_create(rows: Sequence[BaseModel], create: Callable[[dict[str, Any]], _R], *, account: Account) -> list[_R]:
    """Create every row or none: one transaction; errors are collected for every row, reported by index."""
    if len(rows) > BULK_MAX_ROWS:
        raise ValidationFailed(
            _("At most %(max)d records per request; split the list.") % {"max": BULK_MAX_ROWS},
            fields={"items": [_("At most %(max)d records per request.") % {"max": BULK_MAX_ROWS}]},
        ) from None
    created: list[_R] = []
    resolve = source_name_resolver(account=account)  # the catalogue read once for every row's source_name
    errors: dict[str, dict[str, list[str]]] = {}
    codes: set[str] = set()
    with transaction.atomic():
        for index, row in enumerate(rows):
            try:
                # Each service call is atomic itself (a savepoint here): a refused row leaves nothing behind,
                # and the following rows are still checked so the client sees every problem at once.
                created.append(create(service_kwargs(row, creating=True, account=account, resolve=resolve)))
            except DomainError as exc:
                codes.add(exc.code)
                errors[str(index)] = api_field_names(exc.fields) or {"__all__": [exc.message]}
        if errors:
            raise _BulkFailed(errors, codes)
    return created


class _BulkFailed(ValidationFailed):
    def __init__(self, errors: dict[str, dict[str, list[str]]], codes: set[str]) -> None:
        count = len(errors)
        super().__init__(
            ngettext(
                "%(count)d row has errors; nothing was saved.", "%(count)d rows have errors; nothing was saved.", count
            )
            % {"count": count},
            fields={"rows": errors},  # type: ignore[dict-item]  # rows nest one level deeper than field errors
        )
        if len(codes) == 1:
            self.code = codes.pop()


class BulkChanges(InSchema):
    """What a bulk change sets: each field sent (an id, or null to clear it); a field not sent stays as it is."""

    source_id: Id | None = Field(None, description="A source of the account (active), or null for no source.")
    owner_id: Id | None = Field(None, description="A member of the account, or null for no owner.")
    campaign_id: Id | None = Field(
        None,
        description="A campaign of the account (active), or null for none. Records without a source take the "
        "campaign's; a record of another source is refused unless source_id (the campaign's) is sent too.",
    )


class BulkChangeOut(Schema):
    changed: int = Field(description="How many records the change was applied to.")


def bulk_change_schema(noun: str, filters: type[BaseModel]) -> type[BaseModel]:
    """The body of `POST /<kind>/bulk-change`: `ids`, or `filter` (the list's query parameters as an object), and
    `changes`."""
    known = set(filters.model_fields) | {f.alias for f in filters.model_fields.values() if f.alias}

    def an_object_of_filters(value: Any) -> Any:
        # The filter decides which records change: a value that is not an object, or a key the list does not know,
        # would otherwise read as "no filter" and change every record.
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError("must be a JSON object of the list's filters")
        unknown = sorted(str(key) for key in value if key not in known)
        if unknown:
            raise ValueError(f"unknown filter: {', '.join(unknown)}; the list knows {', '.join(sorted(known))}")
        return value

    # a schema made at run time: pydantic reads the annotation
    optional_filters: Any = Annotated[filters | None, BeforeValidator(an_object_of_filters)]
    model: type[BaseModel] = create_model(
        f"{noun.capitalize()}BulkChangeIn",
        __base__=InSchema,
        ids=(
            list[Id] | None,
            Field(None, description="The records to change.", json_schema_extra={"maxItems": BULK_CHANGE_LIMIT}),
        ),
        filter=(optional_filters, Field(None, description="Instead of ids: every record the list shows for it.")),
        expected_count=(
            int | None,
            Field(None, ge=0, description="With `filter`: the count you expect; another count now answers 409."),
        ),
        changes=(BulkChanges, ...),
    )
    return model


def bulk_change_call(
    noun: str, filters_kind: type[RecordFilters], *, account: Account, user: Any, payload: Any
) -> dict[str, int]:
    """Check the body's shape (ids or filter, one change at least), then the same service as the list page's bar."""
    if (payload.ids is None) == (payload.filter is None):
        raise ValidationFailed(_("Send either ids or filter."), fields={"ids": [_("Send either ids or filter.")]})
    changes = {
        _LINKS[name]: value
        for name, value in payload.changes.model_dump(include=payload.changes.model_fields_set).items()
    }
    filters = list_filters(payload.filter, filters_kind) if payload.filter is not None else None
    count = records_bulk_change(
        kind_of(noun),
        account=account,
        user=user,
        changes=changes,
        ids=payload.ids,
        filters=filters,
        expected=payload.expected_count if filters is not None else None,
    )
    return {"changed": count}


@dataclass(frozen=True)
class RecordEndpoints(Generic[_R]):
    """One record type's list, create, bulk create, read, change and delete operations (see record_router)."""

    model: type[_R]
    noun: str  # "company": operation names ("company_list"), the id path parameter, the services' keyword
    plural: str  # "companies": the summaries
    create: Callable[..., _R]
    update: Callable[..., _R]
    delete: Callable[..., object]
    out: type[BaseModel]
    page: type[BaseModel]
    create_in: type[BaseModel]
    patch_in: type[BaseModel]
    bulk_in: type[BaseModel]
    bulk_out: type[BaseModel]
    filters: type[BaseModel]  # the list's query parameters
    ordering: Sorts  # the list's sorts under the API's names (schemas: api_sorts)
    read_page: Callable[..., Page[_R]]  # the list page's selector: (account=, filters=, ordering=, cursor=, ...)
    list_filters: type[RecordFilters]  # the filters that selector takes
    delete_summary: str


def record_router(spec: RecordEndpoints[_R]) -> Router:
    """The six operations of a record type. The handlers are generic; each is published under the name, the
    parameters and the types a hand-written `def company_get(request, company_id: IdPath)` would have, which is what
    ninja reads to build the operation ids, URL names, validation and the OpenAPI document."""
    router = AccountRouter(read=Role.VIEWER, write=Role.MEMBER)
    noun, plural, id_name = spec.noun, spec.plural, f"{spec.noun}_id"

    def list_(request: HttpRequest, *, filters: Any, page: PageParams) -> dict[str, Any]:
        return api_page(
            spec.read_page,
            sorts=spec.ordering,
            ordering=filters.ordering,
            page=page,
            account=account_of(request),
            filters=list_filters(filters, spec.list_filters),
            related=API_RELATED,
            fields=None,
        )

    def create(request: HttpRequest, *, payload: BaseModel, response: HttpResponse) -> Status[_R]:
        account = account_of(request)
        record = spec.create(
            account=account, user=user_of(request), **service_kwargs(payload, creating=True, account=account)
        )
        set_etag(response, record.version)
        return Status(201, record)

    def bulk_create_(request: HttpRequest, *, payload: Any) -> Status[dict[str, list[_R]]]:
        account, user = account_of(request), user_of(request)
        items = bulk_create(
            payload.items, lambda kwargs: spec.create(account=account, user=user, **kwargs), account=account
        )
        return Status(201, {"items": items})

    def bulk_change(request: HttpRequest, *, payload: Any) -> dict[str, int]:
        return bulk_change_call(
            noun, spec.list_filters, account=account_of(request), user=user_of(request), payload=payload
        )

    def get(request: HttpRequest, *, response: HttpResponse, **path: int) -> _R:
        record = record_get(spec.model, account=account_of(request), pk=path[id_name])
        set_etag(response, record.version)
        return record

    def update(request: HttpRequest, *, payload: BaseModel, response: HttpResponse, **path: int) -> _R:
        version, changes = patch_kwargs(request, payload)
        account = account_of(request)
        record = record_get(spec.model, account=account, pk=path[id_name])
        updated = spec.update(account=account, user=user_of(request), version=version, **{noun: record}, **changes)
        set_etag(response, updated.version)
        return updated

    def delete(request: HttpRequest, **path: int) -> Status[None]:
        version = if_match_version(request)
        account = account_of(request)
        record = record_get(spec.model, account=account, pk=path[id_name])
        spec.delete(account=account, user=user_of(request), version=version, **{noun: record})
        return Status(204, None)

    pk = {id_name: IdPath}
    # The temporal response ninja passes to a parameter annotated HttpResponse: the handlers set ETag on it.
    out = {"response": HttpResponse}
    router.get("", response=spec.page, summary=f"List {plural}")(
        _published(list_, f"{noun}_list", filters=_QUERY[spec.filters], page=_QUERY[PageParams])
    )
    router.post(
        "",
        response={201: spec.out},
        summary=f"Create a {noun}",
        openapi_extra=precondition_openapi(etag_statuses=(201,)),
    )(_published(create, f"{noun}_create", payload=spec.create_in, **out))
    router.post(
        "/bulk", response={201: spec.bulk_out}, summary=f"Create up to {BULK_MAX_ROWS:,} {plural}, all or nothing"
    )(_published(bulk_create_, f"{noun}_bulk_create", payload=spec.bulk_in))
    router.post(
        "/bulk-change",
        response=BulkChangeOut,
        summary=f"Set the source, campaign or owner of many {plural} at once (chosen ids or every one matching a "
        f"filter, at most {BULK_CHANGE_LIMIT:,}), all or nothing",
    )(_published(bulk_change, f"{noun}_bulk_change", payload=bulk_change_schema(noun, spec.filters)))
    router.get(
        f"/{{{id_name}}}",
        response=spec.out,
        summary=f"One {noun}",
        openapi_extra=precondition_openapi(etag_statuses=(200,)),
    )(_published(get, f"{noun}_get", **pk, **out))
    router.patch(
        f"/{{{id_name}}}",
        response=spec.out,
        summary=f"Change a {noun}: only the fields sent (a stale version or If-Match is a 409)",
        openapi_extra=precondition_openapi(etag_statuses=(200,), if_match=True),
    )(_published(update, f"{noun}_update", **pk, payload=spec.patch_in, **out))
    router.delete(
        f"/{{{id_name}}}",
        response={204: None},
        summary=spec.delete_summary,
        openapi_extra=precondition_openapi(if_match=True),
    )(_published(delete, f"{noun}_delete", **pk))
    return router


def _published(handler: _F, name: str, **params: Any) -> _F:
    """`handler` named `name`, its signature `(request, **params)` (parameter name: annotation, in order)."""
    handler.__name__ = handler.__qualname__ = name
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # read by inspect.signature
        [
            inspect.Parameter(param, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation)
            for param, annotation in {"request": HttpRequest, **params}.items()
        ]
    )
    return handler
