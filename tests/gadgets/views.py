"""A gadget's pages: its RecordPages; the views and URLs are generated (records/urls.py)."""

from __future__ import annotations

from typing import Any

from django import forms

from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.core.pagination import Ordering, Page, keyset_page
from headwater.records.forms import RecordFilterForm, RecordForm
from headwater.records.listing import Column, Known, RecordFilters, filter_records
from headwater.records.views import RecordPages
from tests.gadgets import services
from tests.gadgets.models import Gadget


class GadgetForm(RecordForm):
    name = forms.CharField(max_length=200)

    def __init__(self, *args: Any, instance: Gadget | None = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=instance, **kwargs)
        if instance is not None and not self.is_bound:
            self.initial["name"] = instance.name

    def service_fields(self) -> dict[str, Any]:
        return {"name": self.cleaned_data["name"], "owner": self.cleaned_data["owner"]}


class GadgetFilterForm(RecordFilterForm):
    def filters(self) -> RecordFilters:
        return RecordFilters(**self.common_filters())


def gadget_page(
    *,
    account: Account,
    filters: RecordFilters,
    ordering: Ordering,
    cursor: str | None,
    page_size: int,
    count_limit: int,
    known: Known | None = None,  # the filter bar's owners: a gadget's list shows no linked record, so it is unused
) -> Page[Gadget]:
    qs = filter_records(Gadget.objects.for_account(account), filters)
    return keyset_page(qs, ordering=ordering, cursor=cursor, page_size=page_size, count_limit=count_limit)


def gadget_get(*, account: Account, pk: int) -> Gadget:
    gadget = Gadget.objects.for_account(account).filter(pk=pk).first()
    if gadget is None:
        raise NotFound("gadget")
    return gadget


PAGES = RecordPages[Gadget](
    app="gadgets",
    noun="gadget",
    filter_form=GadgetFilterForm,
    page=gadget_page,
    sorts={"name": ("name",), "created": ("created_at",)},
    default_sort="name",
    columns=lambda *, sources: [Column("Name", "name")],
    get=gadget_get,
    form=GadgetForm,
    create=services.gadget_create,
    update=services.gadget_update,
    delete=services.gadget_delete,
    label=lambda gadget: gadget.name,
    added="Gadget “%(name)s” added.",
    saved="Gadget “%(name)s” saved.",
    deleted="Gadget “%(name)s” deleted.",
)
