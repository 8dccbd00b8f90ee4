"""A record kind's page URLs, generated from its `RecordPages`: the same paths and names for every kind (list,
create, detail, edit, delete, and the picker's lookup and quick-create for the kinds that have a picker).

config/urls.py mounts each registered kind's app `urls` under its app label; an app adds its own pages (a deal's
status) as `extra`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.http import HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from headwater.records.list_actions import bulk_change_page, export_page
from headwater.records.views import (
    RecordPages,
    create_page,
    delete_page,
    detail_page,
    edit_page,
    list_page,
    picker_create,
    picker_lookup,
)
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role


def _page(
    view: Callable[..., HttpResponse], *, name: str, read: Role | None, write: Role | None
) -> Callable[..., HttpResponse]:
    """The one place the record pages meet the access decorator (`read` for GET, `write` for POST; None: 405)."""
    view.__name__ = view.__qualname__ = name
    return account_view(read=read, write=write)(view)


def record_urlpatterns(pages: RecordPages[Any], *, extra: Sequence[URLPattern] = ()) -> list[URLPattern]:
    noun = pages.noun

    def list_(request: AccountRequest) -> HttpResponse:
        return list_page(request, pages)

    def detail(request: AccountRequest, pk: int) -> HttpResponse:
        extra_context = pages.detail_extra(request) if pages.detail_extra is not None else None
        return detail_page(request, pages, pk, extra=extra_context)

    def create(request: AccountRequest) -> HttpResponse:
        return create_page(request, pages, contact_initial=pages.contact_initial)

    def edit(request: AccountRequest, pk: int) -> HttpResponse:
        return edit_page(request, pages, pk)

    def delete(request: AccountRequest, pk: int) -> HttpResponse:
        return delete_page(request, pages, pk)

    def bulk_change(request: AccountRequest) -> HttpResponse:
        return bulk_change_page(request, pages, list_page=list_page)

    def export_csv(request: AccountRequest) -> HttpResponse:
        return export_page(request, pages, "csv")  # type: ignore[return-value]  # a streamed response is one too

    def export_xlsx(request: AccountRequest) -> HttpResponse:
        return export_page(request, pages, "xlsx")  # type: ignore[return-value]  # a file response is one too

    patterns = [
        path("", _page(list_, name=f"{noun}_list", read=Role.VIEWER, write=None), name="list"),
        # Exports are reads: viewers may export what they may see, as the Statistics page's CSV.
        path(
            "export.csv", _page(export_csv, name=f"{noun}_export_csv", read=Role.VIEWER, write=None), name="export_csv"
        ),
        path(
            "export.xlsx",
            _page(export_xlsx, name=f"{noun}_export_xlsx", read=Role.VIEWER, write=None),
            name="export_xlsx",
        ),
        path(
            "bulk/",
            _page(require_POST(bulk_change), name=f"{noun}_bulk_change", read=None, write=Role.MEMBER),
            name="bulk_change",
        ),
        path("new/", _page(create, name=f"{noun}_create", read=Role.MEMBER, write=Role.MEMBER), name="create"),
    ]
    if pages.lookup is not None and pages.quick_form is not None:
        lookup, quick_form = pages.lookup, pages.quick_form

        def lookup_(request: AccountRequest) -> HttpResponse:
            return picker_lookup(request, name=noun, lookup=lookup, label=pages.picker_label)

        def quick_create(request: AccountRequest) -> HttpResponse:
            """A record by its name from a typeahead, owned by the user who creates it (as the full form's default)."""
            return picker_create(
                request,
                quick_form(request.POST),
                create=partial(pages.create, account=request.account, user=request.user, owner=request.user),
                label=pages.picker_label,
            )

        patterns += [
            path("lookup/", _page(lookup_, name=f"{noun}_lookup", read=Role.VIEWER, write=None), name="lookup"),
            path(
                "quick-create/",
                _page(require_POST(quick_create), name=f"{noun}_quick_create", read=None, write=Role.MEMBER),
                name="quick_create",
            ),
        ]
    patterns += [
        path("<int:pk>/", _page(detail, name=f"{noun}_detail", read=Role.VIEWER, write=None), name="detail"),
        path("<int:pk>/edit/", _page(edit, name=f"{noun}_edit", read=Role.MEMBER, write=Role.MEMBER), name="edit"),
        *extra,
        path(
            "<int:pk>/delete/", _page(delete, name=f"{noun}_delete", read=Role.MEMBER, write=Role.MEMBER), name="delete"
        ),
    ]
    return patterns
