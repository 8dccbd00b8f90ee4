"""What the company, person and deal endpoints share: id fields → service arguments, lookups, filters, bulk.

The handlers stay thin: they resolve the account from the token, turn the body into the service's keyword
arguments (the same services the UI calls), and render. Reads scope every query by the token's account.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pydantic import BaseModel

from headwater.core.api_errors import api_field_names
from headwater.core.errors import DomainError, NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.core.records import CrmRecord
from headwater.core.search import search_filter
from headwater.core.text import text_problem
from headwater.core.types import UNSET
from headwater.sources.models import HowChanged

_R = TypeVar("_R", bound=CrmRecord)

BULK_MAX_ROWS = 1000

# Body field → service keyword: the API names links by id, the services take an id or an instance.
_LINKS = {"owner_id": "owner", "source_id": "source", "company_id": "company", "person_id": "person"}


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


def patch_kwargs(payload: BaseModel) -> tuple[int, dict[str, Any]]:
    kwargs = service_kwargs(payload, creating=False)
    version = kwargs.pop("version")
    return int(version), kwargs


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
