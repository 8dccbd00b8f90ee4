from __future__ import annotations

from django.utils.translation import gettext_lazy

from headwater.companies import selectors, services
from headwater.companies.forms import CompanyFilterForm, CompanyForm, CompanyQuickForm
from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.records.listing import Column, links_stay_sentence
from headwater.records.rows import bdi, text
from headwater.records.views import RecordPages


def company_columns(*, sources: bool) -> list[Column]:
    """The list's columns, each with its cell (records/rows.py)."""
    columns = [
        Column(gettext_lazy("Name"), "name", cell=lambda cells, c: cells.link("companies", c.pk, c.name)),
        Column(gettext_lazy("City"), "city", cell=lambda _c, c: bdi(c.city)),
        Column(gettext_lazy("Phone"), cell=lambda _c, c: text(c.phone)),
        Column(gettext_lazy("Owner"), cell=lambda _c, c: bdi(c.owner.display_name if c.owner else "")),
    ]
    if sources:
        columns.append(Column(gettext_lazy("Acquisition source"), cell=lambda cells, c: cells.source(c.source)))
    columns.append(Column(gettext_lazy("Created"), "created", cell=lambda cells, c: cells.instant(c.created_at)))
    return columns


def _delete_consequence(account: Account, company: Company) -> str:
    impact = selectors.company_delete_impact(account=account, company=company)
    return links_stay_sentence(persons=impact["persons"], deals=impact["deals"], unlinked_from="company")


PAGES = RecordPages[Company](
    app="companies",
    noun="company",
    filter_form=CompanyFilterForm,
    page=selectors.company_page,
    sorts=selectors.COMPANY_SORTS,
    default_sort=selectors.COMPANY_DEFAULT_SORT,
    columns=company_columns,
    matching=selectors.company_list,
    get=selectors.company_get,
    form=CompanyForm,
    create=services.company_create,
    update=services.company_update,
    delete=services.company_delete,
    label=lambda company: company.name,
    added=gettext_lazy("Company “%(name)s” added."),
    saved=gettext_lazy("Company “%(name)s” saved."),
    deleted=gettext_lazy("Company “%(name)s” deleted."),
    links=selectors.company_links,
    delete_consequence=_delete_consequence,
    lookup=selectors.company_lookup,
    quick_form=CompanyQuickForm,
)
