"""Days typed into filters (the record lists, the statistics, the API): one rule for all of them.

A filter day becomes an instant at the account's local midnight, and the statistics compare a period with the one
before it. At the edges of what Python and the databases hold that overflowed: `created_from=0001-01-01` in
Warsaw is a moment of year 0 in UTC (a 500 on SQLite). A filter has no use for such days, so every filter takes
days from 1900 to 2999 and refuses the rest as a field error (a 400 in the API), whatever the time zone.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Annotated, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BeforeValidator, ValidationInfo

from headwater.core.errors import ValidationFailed
from headwater.core.models import Account


def account_today(account: Account) -> dt.date:
    """Today in the account's time zone: the day a deal closes on, the day statistics count it in."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(account.time_zone))


def account_date_of(account: Account, moment: dt.datetime) -> dt.date:
    """The day `moment` falls on in the account's time zone."""
    return timezone.localdate(moment, timezone=zoneinfo.ZoneInfo(account.time_zone))


EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)


def filter_day_problem(day: dt.date) -> str | None:
    """Why `day` cannot be a filter's day, or None when it can."""
    if EARLIEST_DAY <= day <= LATEST_DAY:
        return None
    return _("Enter a date between the years %(first)d and %(last)d.") % {
        "first": EARLIEST_DAY.year,
        "last": LATEST_DAY.year,
    }


class FilterDayField(forms.DateField):
    """A form's filter day: a date, within EARLIEST_DAY..LATEST_DAY."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, dt.date):
            problem = filter_day_problem(value)
            if problem:
                raise forms.ValidationError(problem, code="out_of_range")


def _check_filter_day(value: dt.date, info: ValidationInfo) -> dt.date:
    problem = filter_day_problem(value)
    if problem:
        # A rule, not a malformed request: the same 400 on the field that the page's form gives.
        raise ValidationFailed.on(info.field_name or "date", problem)
    return value


def _iso_day_only(value: Any) -> Any:
    # pydantic would also take "0" or "1700000000" (Unix time) for a date: a query string says YYYY-MM-DD.
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError(_("Enter a date as YYYY-MM-DD."))
    return value


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# An API query parameter that is a filter's day (see FilterDayField for the forms).
FilterDay = Annotated[dt.date, BeforeValidator(_iso_day_only), AfterValidator(_check_filter_day)]
