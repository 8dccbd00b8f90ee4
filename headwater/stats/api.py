"""API: acquisition-source statistics, the same figures as the Statistics page and its CSV export."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from headwater.core.api_auth import account_of
from headwater.core.errors import FeatureDisabled
from headwater.stats.forms import stats_filters_from
from headwater.stats.schemas import SourceStatsOut, StatsParams, stats_out
from headwater.stats.selectors import source_stats

router = Router()


@router.get(
    "/sources",
    response=SourceStatsOut,
    summary="Contacts, open and closed deals per acquisition source, for a period and an owner",
)
def source_statistics(request: HttpRequest, params: Query[StatsParams]) -> HttpResponse:
    """Every member may read. Days are in the account's time zone; values in its base currency."""
    account = account_of(request)
    if not account.sources_enabled:
        raise FeatureDisabled(_("Acquisition sources are switched off for this account."))
    filters = stats_filters_from(params.form_data(), account=account)
    # Validated against the documented model as ninja would, then dumped with decimals and dates already as text:
    # the same bytes as ninja's renderer, without its encoder calling back into Python for each of ~150 values.
    body = SourceStatsOut.model_validate(stats_out(source_stats(account=account, filters=filters)))
    return HttpResponse(json.dumps(body.model_dump(mode="json")), content_type="application/json; charset=utf-8")
