"""Statistics > Cohorts: the page and its CSV and XLSX exports (stats/cohorts.py computes the figures)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from headwater.core.models import Account
from headwater.core.spreadsheet import (
    BOM,
    XLSX_CONTENT_TYPE,
    Cell,
    SpreadsheetWriter,
    XlsxSheet,
    csv_format_for,
    xlsx_file,
)
from headwater.stats.cohorts import CohortFilterForm, CohortTable, cohort_filter_form, cohort_table
from headwater.stats.exports import RowWriter
from headwater.stats.results import Unconverted
from headwater.stats.selectors import tallies_rebuild_unfinished
from headwater.stats.views import export_form_refused, export_unavailable
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role


def _unconverted(items: Iterable[Unconverted]) -> str:
    return "; ".join(f"{item.currency} {item.value}" for item in items)


@account_view(read=Role.VIEWER, write=None)
def cohort_page(request: AccountRequest) -> HttpResponse:
    """Statistics > Cohorts. The filters live in the URL; the export links repeat them."""
    account = request.account
    if not account.sources_enabled:
        return render(request, "stats/sources_off.html", {})
    rebuild = tallies_rebuild_unfinished(account=account)
    if rebuild is not None:
        return render(request, "stats/recomputing.html", {"job": rebuild})
    form = cohort_filter_form(request.GET, account=account)
    if not form.is_valid():
        return render(request, "stats/cohorts.html", {"form": form, "table": None}, status=400)
    table = cohort_table(account=account, filters=form.filters(), catalogue=form.catalogue)
    context: dict[str, Any] = {
        "form": form,
        "table": table,
        "rows": [{"row": row, "cells": [(value, table.level(value)) for value in row.won]} for row in table.rows],
        "ages": list(range(table.ages)),
        "source_label": form.source_label(),
        "channel_label": form.channel_label(),
    }
    return render(request, "stats/cohorts.html", context)


# --- Exports --------------------------------------------------------------------------------------------


def write_cohorts(writer: RowWriter, table: CohortTable, *, account_name: str, form: CohortFilterForm) -> None:
    """The page's table, to a CSV or an XLSX writer."""
    cur = table.base_currency
    writer.writerow([_("Cohorts"), account_name])
    writer.writerow([_("Months"), table.filters.first.strftime("%Y-%m"), table.filters.last.strftime("%Y-%m")])
    if form.source_label():
        writer.writerow([_("Source"), form.source_label()])
    if form.channel_label():
        writer.writerow([_("Channel"), form.channel_label()])
    writer.writerow(
        [_("Values in %(currency)s; won value to the end of each month after, cumulative") % {"currency": cur}]
    )
    writer.writerow([])
    writer.writerow(
        [
            _("Cohort month"),
            _("Spend (%(currency)s)") % {"currency": cur},
            _("Spend without a rate"),
            _("New contacts"),
            _("Cost per new contact"),
            _("Deals"),
            _("Open deals"),
            _("Immature"),
            *(_("Won by month %(month)d") % {"month": age} for age in range(table.ages)),
            _("Won to date (%(currency)s)") % {"currency": cur},
            _("Won without a rate"),
            _("ROI (%)"),
            _("ROAS"),
        ]
    )
    for row in [*table.rows, table.total]:
        is_total = row is table.total
        won: list[Cell] = [None] * table.ages if is_total else list(row.won)
        writer.writerow(
            [
                _("Total") if is_total else row.month.strftime("%Y-%m"),
                row.spend,
                _unconverted(row.spend_unconverted),
                row.contacts,
                row.cost_per_contact,
                row.deals,
                row.open_deals,
                _("yes") if row.immature else "",
                *won,
                row.won_total,
                _unconverted(row.won_unconverted),
                row.roi,
                row.roas,
            ]
        )


def _export(request: AccountRequest) -> tuple[Account, CohortFilterForm, CohortTable] | HttpResponse:
    account = request.account
    unavailable = export_unavailable(request)
    if unavailable is not None:
        return unavailable
    form = cohort_filter_form(request.GET, account=account)
    if not form.is_valid():
        return export_form_refused(form)
    return account, form, cohort_table(account=account, filters=form.filters(), catalogue=form.catalogue)


def _filename(account: Account, table: CohortTable, extension: str) -> str:
    span = f"{table.filters.first:%Y-%m}-{table.filters.last:%Y-%m}"
    return f'attachment; filename="cohorts-{account.slug}-{span}.{extension}"'


def cohorts_csv(*, account: Account, form: CohortFilterForm, table: CohortTable) -> HttpResponse:
    out = io.StringIO()
    out.write(BOM)
    write_cohorts(SpreadsheetWriter(out, csv_format_for(get_language())), table, account_name=account.name, form=form)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _filename(account, table, "csv")
    add_never_cache_headers(response)
    return response


@account_view(read=Role.VIEWER, write=None)
def cohort_csv_export(request: AccountRequest) -> HttpResponse:
    found = _export(request)
    if isinstance(found, HttpResponse):
        return found
    account, form, table = found
    return cohorts_csv(account=account, form=form, table=table)


@account_view(read=Role.VIEWER, write=None)
def cohort_xlsx_export(request: AccountRequest) -> HttpResponse:
    found = _export(request)
    if isinstance(found, HttpResponse):
        return found
    account, form, table = found

    def write(sheet: XlsxSheet) -> None:
        write_cohorts(sheet, table, account_name=account.name, form=form)

    # A streamed file: the view's callers (the access decorator) take it like any response.
    response: Any = FileResponse(xlsx_file(write, title=_("Cohorts")), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = _filename(account, table, "xlsx")
    add_never_cache_headers(response)
    streamed: HttpResponse = response
    return streamed
