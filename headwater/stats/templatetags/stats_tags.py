"""Template filters of the statistics pages (the tables' cells are built in stats/tables.py)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from headwater.stats.results import SourceInfo, source_label
from headwater.stats.tables import number

register = template.Library()


@register.filter
def label(source: SourceInfo) -> str:
    return source_label(source)


@register.filter
def money(value: Decimal | None) -> str:
    return "" if value is None else number(value, 2)


@register.filter
def percent(value: Decimal | None) -> str:
    return "" if value is None else number(value, 1)
