"""Template helpers of the statistics page: drill-down links, source labels, signed changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse

from headwater.stats.filters import StatsFilters
from headwater.stats.selectors import SourceInfo, source_label

register = template.Library()

_CLOSED = ("won", "lost")


def drilldown_url(*, account_slug: str, filters: StatsFilters, kind: str, source: SourceInfo, status: str = "") -> str:
    """The record list showing exactly the records behind a count: same source, owner, status and period."""
    params: dict[str, str] = {}
    if not source.is_total:
        params["source"] = source.key
    if filters.unowned:
        params["owner"] = "none"
    elif filters.owner_id is not None:
        params["owner"] = str(filters.owner_id)
    if kind == "deals":
        params["status"] = status
    day = "closed" if status in _CLOSED else "created"
    if filters.period is not None:
        params[f"{day}_from"] = filters.period.start.isoformat()
        params[f"{day}_to"] = filters.period.end.isoformat()
    return f"{reverse(f'{kind}:list', kwargs={'account_slug': account_slug})}?{urlencode(params)}"


@register.simple_tag(takes_context=True)
def drilldown(context: template.Context, kind: str, source: SourceInfo, status: str = "") -> str:
    return drilldown_url(
        account_slug=context["current_account"].slug,
        filters=context["stats"].filters,
        kind=kind,
        source=source,
        status=status,
    )


@register.filter
def label(source: SourceInfo) -> str:
    return source_label(source)


@register.filter
def signed(value: Decimal | int | None, places: int = 0) -> str:
    """A localized number with an explicit + for increases (the minus comes with the number)."""
    if value is None:
        return ""
    text = str(floatformat(value, f"{places}g"))
    return f"+{text}" if Decimal(value) > 0 else text


@register.filter
def money(value: Decimal | None) -> str:
    return "" if value is None else str(floatformat(value, "2g"))


@register.filter
def percent(value: Decimal | None) -> str:
    return "" if value is None else str(floatformat(value, "1g"))


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)
