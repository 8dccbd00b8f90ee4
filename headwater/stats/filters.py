"""What a statistics request asks for: a period in the account's time zone, an owner, a comparison."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    ALL = "all", _("All time")
    THIS_MONTH = "this_month", _("This month")
    LAST_MONTH = "last_month", _("Last month")
    THIS_QUARTER = "this_quarter", _("This quarter")
    LAST_QUARTER = "last_quarter", _("Last quarter")
    THIS_YEAR = "this_year", _("This year")
    LAST_YEAR = "last_year", _("Last year")
    LAST_30 = "last_30", _("Last 30 days")
    LAST_90 = "last_90", _("Last 90 days")
    CUSTOM = "custom", _("Custom range")


class GroupBy(models.TextChoices):
    """What the Statistics page's rows are: the record's source, or the source of its first or last tracked visit."""

    SOURCE = "source", _("The record's source")
    LAST_TOUCH = "last_touch", _("The last touch's source")
    FIRST_TOUCH = "first_touch", _("The first touch's source")


# Calendar presets: how many months the same calendar period lies earlier (what "compare" compares with).
CALENDAR_STEP_MONTHS: dict[str, int] = {
    Period.THIS_MONTH: 1,
    Period.LAST_MONTH: 1,
    Period.THIS_QUARTER: 3,
    Period.LAST_QUARTER: 3,
    Period.THIS_YEAR: 12,
    Period.LAST_YEAR: 12,
}


def months_earlier(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier; the month's last day when that month is shorter, or when `day` is the last
    day of its month (31 May -> 30 April, 30 April -> 31 March, 29 February 2028 -> 28 February 2027).

    Raises OverflowError before year 1.
    """
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    if year < dt.MINYEAR:
        raise OverflowError("before year 1")
    last = calendar.monthrange(year, month + 1)[1]
    at_month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month + 1, last if at_month_end else min(day.day, last))


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

    def months_earlier(self, months: int) -> DateRange | None:
        """The same calendar days `months` earlier (see `months_earlier`); None before year 1."""
        try:
            return DateRange(start=months_earlier(self.start, months), end=months_earlier(self.end, months))
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
    channel_id: int | None = None  # only the sources of this channel
    no_channel: bool = False  # only the sources without a channel
    compare: bool = False
    preset: str = Period.ALL
    group_by: str = GroupBy.SOURCE

    @property
    def by_touch(self) -> bool:
        return self.group_by != GroupBy.SOURCE

    @property
    def previous_period(self) -> DateRange | None:
        """What "compare" compares with: for a calendar preset the same calendar days a month, quarter or year
        earlier; for the rolling presets and a custom range the same number of days immediately before."""
        if not self.compare or self.period is None:
            return None
        step = CALENDAR_STEP_MONTHS.get(self.preset)
        return self.period.previous() if step is None else self.period.months_earlier(step)


_TO_DATE: set[str] = {Period.THIS_MONTH, Period.THIS_QUARTER, Period.THIS_YEAR}
_ROLLING_DAYS: dict[str, int] = {Period.LAST_30: 30, Period.LAST_90: 90}


def preset_range(preset: str, today: dt.date) -> DateRange | None:
    """The date range of a preset: "this ..." from the calendar period's first day to today, "last month, quarter,
    year" the whole calendar period before the current one, "last N days" today and the N - 1 days before. None for
    all time and custom (and for a period before year 1)."""
    try:
        if preset in _ROLLING_DAYS:
            return DateRange(today - dt.timedelta(days=_ROLLING_DAYS[preset] - 1), today)
        step = CALENDAR_STEP_MONTHS.get(preset)
        if step is None:
            return None
        first = today.replace(month=(today.month - 1) // step * step + 1, day=1)
        if preset in _TO_DATE:
            return DateRange(first, today)
        return DateRange(months_earlier(first, step), first - dt.timedelta(days=1))
    except OverflowError:
        return None
