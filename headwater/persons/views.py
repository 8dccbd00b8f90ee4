from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy, pgettext_lazy

from headwater.companies.selectors import company_get
from headwater.core.models import Account
from headwater.persons import selectors, services
from headwater.persons.forms import PersonFilterForm, PersonForm, PersonQuickForm
from headwater.persons.models import Person
from headwater.records.forms import id_or_404
from headwater.records.listing import Column, links_stay_sentence, or_404
from headwater.records.rows import bdi, text
from headwater.records.views import (
    RecordPages,
)
from headwater.sources.selectors import source_default_for
from headwater.users.access import AccountRequest


def person_columns(*, sources: bool) -> list[Column]:
    """The list's columns, each with its cell (records/rows.py)."""
    columns = [
        Column(pgettext_lazy("person", "Name"), "name", cell=lambda cells, p: cells.link("persons", p.pk, p.full_name)),
        Column(
            gettext_lazy("Company"),
            cell=lambda cells, p: cells.link("companies", p.company_id, p.company.name) if p.company else "",
        ),
        Column(gettext_lazy("E-mail"), "email", cell=lambda _c, p: text(p.email)),
        Column(gettext_lazy("Phone"), cell=lambda _c, p: text(p.phone)),
        Column(gettext_lazy("Owner"), cell=lambda _c, p: bdi(p.owner.display_name if p.owner else "")),
    ]
    if sources:
        columns.append(Column(gettext_lazy("Acquisition source"), cell=lambda cells, p: cells.source(p.source)))
    columns.append(Column(gettext_lazy("Created"), "created", cell=lambda cells, p: cells.instant(p.created_at)))
    return columns


def _create_initial(request: AccountRequest) -> dict[str, Any]:
    """`?company=<id>` opens the form linked to that company, its source pre-filled by the default rule."""
    if "company" not in request.GET:
        return {}
    company = or_404(company_get, account=request.account, pk=id_or_404(request.GET["company"]))
    initial: dict[str, Any] = {"company": company.pk}
    default = source_default_for(account=request.account, company=company, person=None)
    if default is not None:
        initial["source"] = default.pk
    return initial


def _delete_consequence(account: Account, person: Person) -> str:
    impact = selectors.person_delete_impact(account=account, person=person)
    return links_stay_sentence(persons=0, deals=impact["deals"], unlinked_from="person")


PAGES = RecordPages[Person](
    app="persons",
    noun="person",
    filter_form=PersonFilterForm,
    page=selectors.person_page,
    sorts=selectors.PERSON_SORTS,
    default_sort=selectors.PERSON_DEFAULT_SORT,
    columns=person_columns,
    matching=selectors.person_list,
    get=selectors.person_get,
    form=PersonForm,
    create=services.person_create,
    update=services.person_update,
    delete=services.person_delete,
    label=lambda person: person.full_name,
    added=gettext_lazy("Person “%(name)s” added."),
    saved=gettext_lazy("Person “%(name)s” saved."),
    deleted=gettext_lazy("Person “%(name)s” deleted."),
    links=selectors.person_links,
    delete_consequence=_delete_consequence,
    contact_initial=_create_initial,
    lookup=selectors.person_lookup,
    quick_form=PersonQuickForm,
    picker_label=selectors.person_label,
)
