"""The order of the statistics rows: the page and the CSV show them as the user chose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headwater.stats.results import ChannelGroup, R

SORT_KEYS: dict[str, tuple[str, ...]] = {
    "contacts": ("source", "companies", "persons"),
    "open": ("source", "count", "value", "average"),
    "closed": (
        "source",
        "won_count",
        "won_value",
        "lost_count",
        "lost_value",
        "win_rate",
        "average_won",
        "average_days",
        "median_days",
    ),
}


def parse_sort(section: str, value: str | None) -> tuple[str, bool] | None:
    """`"-won_value"` → ("won_value", True); None for the default order or anything not sortable."""
    if not value:
        return None
    descending = value.startswith("-")
    key = value.removeprefix("-")
    return (key, descending) if key in SORT_KEYS[section] else None


def sort_rows(rows: list[R], sort: tuple[str, bool] | None) -> list[R]:
    """Rows in the chosen order; empty values (no rate, no closed deals) always last. Default: the catalogue order."""
    if sort is None:
        return list(rows)
    key, descending = sort
    if key == "source":
        named = sorted((r for r in rows if r.source.id is not None), key=lambda r: r.source.name.casefold())
        return (named[::-1] if descending else named) + [r for r in rows if r.source.id is None]
    getter: Callable[[R], Any] = lambda row: getattr(row, key)  # noqa: E731 — a one-line key
    present = [row for row in rows if getter(row) is not None]
    empty = [row for row in rows if getter(row) is None]
    return sorted(present, key=getter, reverse=descending) + empty


def sort_groups(groups: list[ChannelGroup[Any]], sort: tuple[str, bool] | None) -> list[ChannelGroup[Any]]:
    """Channel groups in the chosen order of their totals (by name for "source"); "No channel" stays last when
    sorting by name, empty values last otherwise. Default: the admin's order of the channels."""
    if sort is None:
        return list(groups)
    key, descending = sort
    if key == "source":
        named = sorted(
            (g for g in groups if g.row.source.channel_id is not None), key=lambda g: g.row.source.name.casefold()
        )
        return (named[::-1] if descending else named) + [g for g in groups if g.row.source.channel_id is None]
    present = [g for g in groups if getattr(g.row, key) is not None]
    empty = [g for g in groups if getattr(g.row, key) is None]
    return sorted(present, key=lambda g: getattr(g.row, key), reverse=descending) + empty
