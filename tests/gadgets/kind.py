"""The throwaway kind, declared as a record app declares its own (see headwater/companies/kind.py)."""

from __future__ import annotations

from headwater.records.registry import RecordKind
from headwater.records.search import deal_search_key
from tests.gadgets import views
from tests.gadgets.models import Gadget


def gadget_search_key(*, name: str, company_name: str) -> str:
    # The deals' key builder (a name and linked names) fits a gadget: its name and its company's.
    return deal_search_key(name=name, company_name=company_name, person_name="")


GADGET = RecordKind(
    model=Gadget,
    search_fields=("name", "company_id"),
    search_key=gadget_search_key,
    name_fields=("name",),
    pages=views.PAGES,
)
