"""What the company, person and deal endpoints share: their six operations (`record_router`), id fields → service
arguments, lookups, filters, bulk.

The handlers stay thin: they resolve the account from the token, turn the body into the service's keyword
arguments (the same services the UI calls), and render. Reads scope every query by the token's account.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Query, Router, Status
from pydantic import BaseModel

from headwater.core.api_errors import API_FIELD_NAMES, api_field_names
from headwater.core.api_pagination import Page, PageParams, SortKey, keyset_page
from headwater.core.api_preconditions import expected_version, if_match_version, precondition_openapi, set_etag
from headwater.core.api_schemas import IdPath
from headwater.core.errors import DomainError, NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import text_problem
from headwater.core.types import UNSET
from headwater.records.models import CrmRecord
from headwater.records.search import search_filter
from headwater.sources.models import HowChanged
from headwater.users.api_auth import account_of, require_role, user_of
from headwater.users.models import Role

_R = TypeVar("_R", bound=CrmRecord)
_F = TypeVar("_F", bound=Callable[..., Any])

# ninja's `Query[...]` as a value (mypy knows it only as an annotation): a query-string parameter of that schema.
_QUERY: Any = Query

BULK_MAX_ROWS = 1000

# Body field → service keyword: the API names links by id, the services take an id or an instance.
_LINKS = {api: service for service, api in API_FIELD_NAMES.items()}


def service_kwargs(payload: BaseModel, *, creating: bool) -> dict[str, Any]:
    """The fields the client sent, renamed for the service. On create an omitted `source_id` means "apply the
    account's default rule" (UNSET); an explicit null means "no source"."""
    sent = payload.model_fields_set
    data = payload.model_dump(include=sent) if not creating else payload.model_dump()
    kwargs = {_LINKS.get(name, name): value for name, value in data.items()}
    if creating and "source_id" not in sent:
        kwargs["source"] = UNSET
    if "source" in kwargs or creating:
        kwargs["source_how"] = HowChanged.API
    return kwargs


def patch_kwargs(request: HttpRequest, payload: BaseModel) -> tuple[int | None, dict[str, Any]]:
    """The version the change must find (body or If-Match; None: no check) and the fields sent, for the service."""
    kwargs = service_kwargs(payload, creating=False)
    body_version = kwargs.pop("version", None)
    return expected_version(request, None if body_version is None else int(body_version)), kwargs


def record_get(model: type[_R], *, account: Account, pk: int) -> _R:
    """One record of the account, or 404 whether it is missing or another account's."""
    manager: Any = model.objects
    record: _R | None = manager.for_account(account).select_related("source").filter(pk=pk).first()
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


def filter_links(qs: QuerySet[_R], **links: int | str | None) -> QuerySet[_R]:
    """`owner_id=5`, `company_id=7`, `source_id="none"`: filters on linked ids (another account's id finds
    nothing, as the queryset is already scoped)."""
    for field, value in links.items():
        if value is None:
            continue
        condition: dict[str, object] = {f"{field}__isnull": True} if value == "none" else {field: int(value)}
        qs = qs.filter(**condition)
    return qs


def search(qs: QuerySet[_R], q: str | None) -> QuerySet[_R]:
    """The same search as the list pages: every word of `q` must occur in the record's search key."""
    q = check_query_text("q", q)
    if not q:
        return qs
    return search_filter(qs, q)


def bulk_create(rows: Sequence[BaseModel], create: Callable[[dict[str, Any]], _R]) -> list[_R]:
    """Create every row or none: one transaction; errors are collected for every row, reported by index."""
    if len(rows) > BULK_MAX_ROWS:
        raise ValidationFailed(
            _("At most %(max)d records per request; split the list.") % {"max": BULK_MAX_ROWS},
            fields={"items": [_("At most %(max)d records per request.") % {"max": BULK_MAX_ROWS}]},
        ) from None
    created: list[_R] = []
    errors: dict[str, dict[str, list[str]]] = {}
    codes: set[str] = set()
    with transaction.atomic():
        for index, row in enumerate(rows):
            try:
                # Each service call is atomic itself (a savepoint here): a refused row leaves nothing behind,
                # and the following rows are still checked so the client sees every problem at once.
                created.append(create(service_kwargs(row, creating=True)))
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
    filters: type[BaseModel]
    ordering: dict[str, SortKey]
    link_filters: tuple[str, ...]  # the filters' `*_id` fields, applied in this order
    delete_summary: str
    # Filters beyond the links and the search (a deal's status).
    narrow: Callable[[QuerySet[_R], Any], QuerySet[_R]] | None = None


def record_router(spec: RecordEndpoints[_R]) -> Router:
    """The six operations of a record type. The handlers are generic; each is published under the name, the
    parameters and the types a hand-written `def company_get(request, company_id: IdPath)` would have, which is what
    ninja reads to build the operation ids, URL names, validation and the OpenAPI document."""
    router = Router()
    noun, plural, id_name = spec.noun, spec.plural, f"{spec.noun}_id"

    def list_(request: HttpRequest, *, filters: Any, page: PageParams) -> Page[_R]:
        manager: Any = spec.model.objects
        qs: QuerySet[_R] = manager.for_account(account_of(request)).select_related("source")
        qs = filter_links(qs, **{name: getattr(filters, name) for name in spec.link_filters})
        if spec.narrow is not None:
            qs = spec.narrow(qs, filters)
        qs = search(qs, filters.q)
        return keyset_page(qs, ordering=filters.ordering, allowed=spec.ordering, cursor=page.cursor, limit=page.limit)

    def create(request: HttpRequest, *, payload: BaseModel, response: HttpResponse) -> Status[_R]:
        require_role(request, Role.MEMBER)
        record = spec.create(
            account=account_of(request), user=user_of(request), **service_kwargs(payload, creating=True)
        )
        set_etag(response, record.version)
        return Status(201, record)

    def bulk_create_(request: HttpRequest, *, payload: Any) -> Status[dict[str, list[_R]]]:
        require_role(request, Role.MEMBER)
        account, user = account_of(request), user_of(request)
        items = bulk_create(payload.items, lambda kwargs: spec.create(account=account, user=user, **kwargs))
        return Status(201, {"items": items})

    def get(request: HttpRequest, *, response: HttpResponse, **path: int) -> _R:
        record = record_get(spec.model, account=account_of(request), pk=path[id_name])
        set_etag(response, record.version)
        return record

    def update(request: HttpRequest, *, payload: BaseModel, response: HttpResponse, **path: int) -> _R:
        require_role(request, Role.MEMBER)
        version, changes = patch_kwargs(request, payload)
        account = account_of(request)
        record = record_get(spec.model, account=account, pk=path[id_name])
        updated = spec.update(account=account, user=user_of(request), version=version, **{noun: record}, **changes)
        set_etag(response, updated.version)
        return updated

    def delete(request: HttpRequest, **path: int) -> Status[None]:
        require_role(request, Role.MEMBER)
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
