"""API: acquisition-source statistics (the same figures as the Statistics page and its CSV export) and the exchange
rates they convert with (the same form and services as Account settings > Exchange rates)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Status

from headwater.core.api_errors import form_failure
from headwater.core.api_preconditions import expected_version, if_match_version, precondition_openapi, set_etag
from headwater.core.api_schemas import IdPath
from headwater.core.errors import FeatureDisabled
from headwater.stats import services
from headwater.stats.cohort_schemas import CohortParams, CohortsOut, cohorts_out
from headwater.stats.cohorts import cohort_filter_form, cohort_table
from headwater.stats.exports import source_stats_csv_response
from headwater.stats.forms import ExchangeRateEditForm, ExchangeRateForm, stats_filter_form
from headwater.stats.models import ExchangeRate
from headwater.stats.schemas import (
    ExchangeRateIn,
    ExchangeRateOut,
    ExchangeRatePage,
    ExchangeRatePatch,
    SourceStatsOut,
    StatsParams,
    TouchStatsOut,
    TrendOut,
    TrendParams,
    exchange_rate_out,
    stats_out,
    touch_stats_out,
    trend_out,
)
from headwater.stats.selectors import (
    exchange_rate_get,
    exchange_rate_list,
    source_stats,
    source_trend,
    tallies_exact_or_refuse,
    touch_stats,
)
from headwater.users.api_auth import AccountRouter, account_of, user_of
from headwater.users.models import Role

router = AccountRouter(read=Role.VIEWER, write=None)


@router.get(
    "/sources",
    response=SourceStatsOut | TouchStatsOut,
    summary="Contacts, open and closed deals per acquisition source, for a period and an owner; or the records "
    "per their first or last touch's source, tracked against self-reported (`group_by`)",
)
def source_statistics(request: HttpRequest, params: Query[StatsParams]) -> HttpResponse:
    """Every member may read. Days are in the account's time zone; values in its base currency."""
    account = account_of(request)
    if not account.sources_enabled:
        raise FeatureDisabled(_("Acquisition sources are switched off for this account."))
    tallies_exact_or_refuse(account=account)
    form = stats_filter_form(params.form_data(), account=account)
    filters = form.filters()
    if filters.by_touch:
        touches = TouchStatsOut.model_validate(touch_stats_out(touch_stats(account=account, filters=filters)))
        return HttpResponse(json.dumps(touches.model_dump(mode="json")), content_type="application/json; charset=utf-8")
    stats = source_stats(account=account, filters=filters)
    # Validated against the documented model as ninja would, then dumped with decimals and dates already as text:
    # the same bytes as ninja's renderer, without its encoder calling back into Python for each of ~150 values.
    body = SourceStatsOut.model_validate(stats_out(stats, sorts=form.sorts()))
    return HttpResponse(json.dumps(body.model_dump(mode="json")), content_type="application/json; charset=utf-8")


@router.get(
    "/trend",
    response=TrendOut,
    summary="New contacts and won value per month of a period, one series per source or per channel",
)
def trend_statistics(request: HttpRequest, params: Query[TrendParams]) -> HttpResponse:
    """Every member may read. The Statistics page's trend: months in the account's time zone, values in its base
    currency (docs/statistics.md, "Trend")."""
    account = account_of(request)
    if not account.sources_enabled:
        raise FeatureDisabled(_("Acquisition sources are switched off for this account."))
    tallies_exact_or_refuse(account=account)
    filters = stats_filter_form(params.form_data(), account=account).filters()
    trend = source_trend(account=account, filters=filters, by=params.by)
    body = TrendOut.model_validate(trend_out(trend))
    return HttpResponse(json.dumps(body.model_dump(mode="json")), content_type="application/json; charset=utf-8")


@router.get(
    "/sources.csv",
    summary="The Statistics page's CSV export, with the same parameters",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file the page exports (attachment; never cached).",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def source_statistics_csv(request: HttpRequest, params: Query[StatsParams]) -> HttpResponse:
    """The same file as the page's "Export CSV", for scripts: a token instead of a browser session."""
    account = account_of(request)
    if not account.sources_enabled:
        raise FeatureDisabled(_("Acquisition sources are switched off for this account."))
    tallies_exact_or_refuse(account=account)
    # With the owner select's choices, as on the page: the file names the owner filter by the member's name.
    form = stats_filter_form(params.form_data(), account=account, owner_choices=True)
    return source_stats_csv_response(account=account, form=form)


# --- Exchange rates (Account settings > Exchange rates): everyone reads, admins change ------------------------

rates_router = AccountRouter(read=Role.VIEWER, write=Role.ADMIN)


def _rate(request: HttpRequest, rate: ExchangeRate, response: HttpResponse) -> dict[str, Any]:
    set_etag(response, rate.version)
    return exchange_rate_out(rate, base_currency=account_of(request).currency)


@rates_router.get("", response=ExchangeRatePage, summary="The account's exchange rates, by currency")
def rate_list(request: HttpRequest) -> dict[str, Any]:
    account = account_of(request)
    items = [exchange_rate_out(r, base_currency=account.currency) for r in exchange_rate_list(account=account)]
    return {"items": items, "next": None}


@rates_router.post(
    "",
    response={201: ExchangeRateOut},
    summary="Add a rate for a currency that has none (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(201,)),
)
def rate_create(request: HttpRequest, payload: ExchangeRateIn, response: HttpResponse) -> Status[dict[str, Any]]:
    account = account_of(request)
    form = ExchangeRateForm(payload.model_dump(), base_currency=account.currency)
    if not form.is_valid():
        raise form_failure(form.errors)
    rate = services.exchange_rate_create(
        account=account, user=user_of(request), currency=form.cleaned_data["currency"], rate=form.cleaned_data["rate"]
    )
    return Status(201, _rate(request, rate, response))


@rates_router.get(
    "/{rate_id}",
    response=ExchangeRateOut,
    summary="One exchange rate",
    openapi_extra=precondition_openapi(etag_statuses=(200,)),
)
def rate_get(request: HttpRequest, rate_id: IdPath, response: HttpResponse) -> dict[str, Any]:
    return _rate(request, exchange_rate_get(account=account_of(request), rate_id=rate_id), response)


@rates_router.patch(
    "/{rate_id}",
    response=ExchangeRateOut,
    summary="Change a rate; it then applies to the current base currency (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(200,), if_match=True),
)
def rate_update(
    request: HttpRequest, rate_id: IdPath, payload: ExchangeRatePatch, response: HttpResponse
) -> dict[str, Any]:
    version = expected_version(request, payload.version)
    account = account_of(request)
    rate = exchange_rate_get(account=account, rate_id=rate_id)
    # The page's form for one rate: its hidden version only has to be a number here; the service checks `version`.
    form = ExchangeRateEditForm(
        {"rate": payload.rate, "version": rate.version},
        currency=rate.currency,
        base_currency=account.currency,
    )
    if not form.is_valid():
        raise form_failure(form.errors)
    rate = services.exchange_rate_update(
        account=account, user=user_of(request), exchange_rate=rate, version=version, rate=form.cleaned_data["rate"]
    )
    return _rate(request, rate, response)


@rates_router.delete(
    "/{rate_id}",
    response={204: None},
    summary="Delete a rate: deals in that currency are then shown apart in statistics (admin)",
    openapi_extra=precondition_openapi(if_match=True),
)
def rate_delete(request: HttpRequest, rate_id: IdPath) -> Status[None]:
    version = if_match_version(request)
    account = account_of(request)
    rate = exchange_rate_get(account=account, rate_id=rate_id)
    services.exchange_rate_delete(account=account, user=user_of(request), exchange_rate=rate, version=version)
    return Status(204, None)


@router.get(
    "/cohorts",
    response=CohortsOut,
    summary="Statistics > Cohorts: per cohort month its spend, new contacts and the value their deals have won since",
)
def cohort_statistics(request: HttpRequest, params: Query[CohortParams]) -> dict[str, Any]:
    """Every member may read. Months are in the account's time zone; values in its base currency."""
    account = account_of(request)
    if not account.sources_enabled:
        raise FeatureDisabled(_("Acquisition sources are switched off for this account."))
    tallies_exact_or_refuse(account=account)
    form = cohort_filter_form(params.form_data(), account=account)
    if not form.is_valid():
        raise form_failure(form.errors)
    table = cohort_table(account=account, filters=form.filters(), catalogue=form.catalogue)
    return cohorts_out(table, channel=form.cleaned_data.get("channel"))
