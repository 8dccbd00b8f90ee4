"""The API's side of the one keyset paginator (core/pagination.py): `limit` and `cursor`, `ordering=` names, and
the answer `{"items": [...], "next": "<cursor>"}`, never an OFFSET or an exact COUNT.

The rows, the sort and the cursor are the pages' own: an API list reads the same selector as its page, with the
same sorts and cursors (signed, their values checked against their columns: core/cursors.py). A cursor the list
cannot use is a 400 on `cursor` in the API's error shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from headwater.core.cursors import InvalidCursor
from headwater.core.errors import ValidationFailed
from headwater.core.pagination import Ordering, Page, Sorts, keyset_page

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Signed cursors of the longest sort values (a 200-character name in a three-byte script) stay well below this.
MAX_CURSOR = 2000

_M = TypeVar("_M", bound=Model)


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")
    cursor: str | None = Field(None, max_length=MAX_CURSOR, description="The `next` value of the previous page.")


def api_sorts(sorts: Sorts, **names: str) -> Sorts:
    """The sorts an API list offers under its documented `ordering` names: `id`, and each of `names` (API name =
    the list's own sort name, `created_at="created"`) sorting by that sort's columns."""
    return {"id": (), **{api: sorts[own] for api, own in names.items()}}


def ordering_pattern(sorts: Sorts) -> str:
    """The `ordering` parameter's pattern: one of the names, `-` before it for descending."""
    return "^-?(" + "|".join(sorted(sorts)) + ")$"


def api_ordering(name: str, sorts: Sorts) -> Ordering:
    """The sort `ordering=name` (`-name` for descending) asks for; an unknown name is a 400 on `ordering`."""
    fields = sorts.get(name.removeprefix("-"))
    if fields is None:
        raise ValidationFailed.on("ordering", _("Unknown ordering “%(name)s”.") % {"name": name})
    return Ordering(fields, descending=name.startswith("-"))


@contextmanager
def cursor_errors() -> Iterator[None]:
    """A cursor that is not one of this list's (edited, forged, of another list or ordering, of an older format)
    is a 400 on `cursor`."""
    try:
        yield
    except InvalidCursor as exc:
        raise ValidationFailed.on(
            "cursor", _("This cursor is not valid for this list and ordering; start again.")
        ) from exc


def listed(page: Page[_M]) -> dict[str, Any]:
    """A page as the API answers it: the rows and the cursor of the next page (no total, no way back)."""
    return {"items": page.rows, "next": page.next_cursor}


def api_page(
    read: Callable[..., Page[_M]], *, sorts: Sorts, ordering: str, page: PageParams, **kwargs: Any
) -> dict[str, Any]:
    """One page of a list as the API answers it: `read` is the list's selector (or `keyset_page` with a queryset),
    asked for `page.limit` rows after `page.cursor` in `ordering`, without a count."""
    with cursor_errors():
        return listed(
            read(
                ordering=api_ordering(ordering, sorts),
                cursor=page.cursor,
                page_size=page.limit,
                count_limit=0,
                **kwargs,
            )
        )


def api_keyset_page(qs: QuerySet[_M], *, sorts: Sorts, ordering: str, page: PageParams) -> dict[str, Any]:
    """`api_page` for a list without a selector of its own (members, invitations): the queryset as it stands."""
    return api_page(keyset_page, sorts=sorts, ordering=ordering, page=page, qs=qs)
