"""What a statistics request asks for: a period in the account's time zone, an owner, a comparison."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    ALL = "all", _("All time")
    THIS_MONTH = "this_month", _("This month")
    LAST_30 = "last_30", _("Last 30 days")
    LAST_90 = "last_90", _("Last 90 days")
    THIS_QUARTER = "this_quarter", _("This quarter")
    THIS_YEAR = "this_year", _("This year")
    CUSTOM = "custom", _("Custom range")


@dataclass(frozen=True)
class DateRange:
    """Whole days in the account's time zone, both ends included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DateRange | None:
        """The period of the same length immediately before; None when it would start before year 1."""
        try:
            end = self.start - dt.timedelta(days=1)
            return DateRange(start=end - dt.timedelta(days=self.days - 1), end=end)
        except OverflowError:
            return None

    def bounds(self, time_zone: str) -> tuple[dt.datetime, dt.datetime | None]:
        """Aware datetimes [start, end) for filtering `created_at`: local midnights of the first and the next day.

        The end is None when the range reaches the last representable day (nothing can be later).
        """
        zone = ZoneInfo(time_zone)
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=zone)
        if self.end == dt.date.max:
            return start, None
        return start, dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


@dataclass(frozen=True)
class StatsFilters:
    """`period` None means all time.

    Contacts and open deals are filtered on the day they were created, closed deals on the day they were closed.
    """

    period: DateRange | None = None
    owner_id: int | None = None
    unowned: bool = False  # only records without an owner
    compare: bool = False
    preset: str = Period.ALL

    @property
    def previous_period(self) -> DateRange | None:
        if not self.compare or self.period is None:
            return None
        return self.period.previous()


def preset_range(preset: str, today: dt.date) -> DateRange | None:
    """The date range of a preset, ending today (so "this month" compares with the same number of days before)."""
    if preset == Period.THIS_MONTH:
        return DateRange(today.replace(day=1), today)
    if preset == Period.LAST_30:
        return DateRange(today - dt.timedelta(days=29), today)
    if preset == Period.LAST_90:
        return DateRange(today - dt.timedelta(days=89), today)
    if preset == Period.THIS_QUARTER:
        return DateRange(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today)
    if preset == Period.THIS_YEAR:
        return DateRange(today.replace(month=1, day=1), today)
    return None
