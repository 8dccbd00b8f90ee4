"""Periods in the account's time zone: the local day of an instant in SQL, and a period cut into whole months and
the days around them (the tallies hold months, and days for all owners)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, DateField, Expression, F, Func, IntegerField, When
from django.utils import timezone

from headwater.stats.filters import DateRange


class DaysBetween(Func):
    """Whole days from the second date to the first, as an integer on every backend."""

    arity = 2
    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class ShiftedDate(Func):
    """The calendar day of a UTC datetime moved by a fixed offset: the local day wherever that offset applies.

    A fixed offset is several times cheaper per row than converting with a named time zone, which matters when
    a million deals are summed; `local_day` picks the right offset for each period between clock changes.
    """

    output_field = DateField()

    def __init__(self, expression: Any, *, seconds: int) -> None:
        self.seconds = int(seconds)
        super().__init__(expression)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} AT TIME ZONE INTERVAL '{self.seconds} seconds')::date", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{self.seconds:+d} seconds')", params


def _utc_offset(zone: ZoneInfo, moment: dt.datetime) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@lru_cache(maxsize=256)
def offset_segments(zone_name: str, start: dt.datetime, end: dt.datetime) -> tuple[tuple[dt.datetime | None, int], ...]:
    """The zone's UTC offsets between `start` and `end`: ((until, offset seconds), ...), the last one open-ended.

    Each offset applies to instants before its `until` (and after the previous one's); found by walking in
    12-hour steps and bisecting each change to the second.
    """
    zone = ZoneInfo(zone_name)
    step, second = dt.timedelta(hours=12), dt.timedelta(seconds=1)
    segments: list[tuple[dt.datetime | None, int]] = []
    current = _utc_offset(zone, start)
    moment = start
    while moment < end:
        following = min(moment + step, end)
        offset = _utc_offset(zone, following)
        if offset != current:
            low, high = moment, following
            while high - low > second:
                middle = low + (high - low) / 2
                if _utc_offset(zone, middle) == current:
                    low = middle
                else:
                    high = middle
            segments.append((high, current))
            current = offset
        moment = following
    segments.append((None, current))
    return tuple(segments)


def local_day(column: str, zone_name: str, start: dt.datetime, end: dt.datetime) -> Expression:
    """The day `column` falls on in the zone, exact for every instant between `start` and `end`.

    A binary tree of CASE branches on the instants where the clocks change, each leaf a fixed-offset date.
    """
    segments = offset_segments(zone_name, start, end)

    def build(low: int, high: int) -> Expression:
        if high - low == 1:
            return ShiftedDate(F(column), seconds=segments[low][1])
        middle = (low + high) // 2
        boundary = segments[middle - 1][0]
        return Case(
            When(**{f"{column}__lt": boundary}, then=build(low, middle)),
            default=build(middle, high),
            output_field=DateField(),
        )

    return build(0, len(segments))


def day_bounds(first: dt.datetime | None, last: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """Whole UTC days around the account's deals (and now, for deals added meanwhile): the range `local_day` covers."""
    now = timezone.now()
    low = min(first or now, now) - dt.timedelta(days=2)
    high = max(last or now, now) + dt.timedelta(days=2)
    midnight = dt.time(tzinfo=dt.UTC)
    return dt.datetime.combine(low.date(), midnight), dt.datetime.combine(high.date(), midnight)


def month_after(day: dt.date) -> dt.date | None:
    """The first day of the month after `day`'s (None past year 9999)."""
    if day.month == 12:
        return None if day.year == dt.MAXYEAR else dt.date(day.year + 1, 1, 1)
    return dt.date(day.year, day.month + 1, 1)


@dataclass(frozen=True)
class PeriodSplit:
    """A period as the whole local months inside it and the days around them (at most a month less a day at each
    end). `months` is (first, last) month start, both included, or None."""

    months: tuple[dt.date, dt.date] | None
    edges: tuple[DateRange, ...]


def _month_end(month: dt.date) -> dt.date:
    following = month_after(month)
    return dt.date.max if following is None else following - dt.timedelta(days=1)


def split_period(period: DateRange) -> PeriodSplit:
    first = period.start if period.start.day == 1 else month_after(period.start)
    last: dt.date | None = period.end.replace(day=1)
    if _month_end(period.end.replace(day=1)) != period.end:
        # The end's month is not whole: the last whole one is the month before (none before year 1).
        last = (
            None
            if period.end.year == 1 and period.end.month == 1
            else (period.end.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        )
    if first is None or last is None or first > last:
        return PeriodSplit(months=None, edges=(period,))
    edges = []
    if period.start < first:
        edges.append(DateRange(period.start, first - dt.timedelta(days=1)))
    if _month_end(last) < period.end:
        edges.append(DateRange(_month_end(last) + dt.timedelta(days=1), period.end))
    return PeriodSplit(months=(first, last), edges=tuple(edges))
