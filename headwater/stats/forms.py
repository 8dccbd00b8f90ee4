"""Statistics filters (shared by the page, the CSV export and the API) and the exchange-rate forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from headwater.core.dates import FilterDayField
from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.core.record_forms import UNASSIGNED, owner_filter_choices, parse_id
from headwater.core.record_services import account_today
from headwater.core.widgets import CheckboxInput, DateInput, Select
from headwater.stats.filters import DateRange, Period, StatsFilters, preset_range
from headwater.stats.models import RATE_DECIMAL_PLACES, RATE_MAX_DIGITS
from headwater.users.selectors import account_users

FILTER_FIELDS = ("period", "start", "end", "owner", "compare")


class StatsFilterForm(forms.Form):
    """Period (a preset or own dates, as days in the account's time zone), owner, and the comparison switch.

    Its widgets render without templates (core.widgets): the page draws them on every request.
    """

    period = forms.ChoiceField(label=_("Period"), required=False, choices=Period.choices)
    start = FilterDayField(label=_("From"), required=False, widget=DateInput, input_formats=["%Y-%m-%d"])
    end = FilterDayField(label=_("To"), required=False, widget=DateInput, input_formats=["%Y-%m-%d"])
    owner = forms.ChoiceField(label=_("Owner"), required=False, widget=Select)
    compare = forms.BooleanField(label=_("Compare with the previous period"), required=False, widget=CheckboxInput)

    def __init__(
        self,
        data: Mapping[str, Any] | None,
        *,
        account: Account,
        today: dt.date | None = None,
        owner_choices: bool = True,
    ) -> None:
        super().__init__(data)
        self.account = account
        self.today = today or account_today(account)
        if owner_choices:
            owner: forms.ChoiceField = self.fields["owner"]  # type: ignore[assignment]
            owner.choices = owner_filter_choices(account)
        else:
            # The API renders no select: check only the id it was given (one query, and none without an owner).
            self.fields["owner"] = forms.CharField(label=_("Owner"), required=False)

    def clean_owner(self) -> str:
        value = str(self.cleaned_data.get("owner") or "")
        if isinstance(self.fields["owner"], forms.ChoiceField) or value in ("", UNASSIGNED):
            return value
        owner_id = parse_id(value)
        if owner_id is None or not account_users(account=self.account).filter(pk=owner_id).exists():
            raise forms.ValidationError(
                _("Select a valid choice. %(value)s is not one of the available choices."), params={"value": value}
            )
        return value

    def preset_ranges(self) -> dict[str, DateRange]:
        """Each preset's days as of today in the account's zone; stats.js fills the date inputs with them."""
        ranges = {}
        for value, _label in Period.choices:
            found = preset_range(value, self.today)
            if found is not None:
                ranges[value] = found
        return ranges

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        period = data.get("period") or ""
        start, end = data.get("start"), data.get("end")
        typed_dates = start is not None or end is not None
        if not period:
            period = Period.CUSTOM if typed_dates else Period.ALL
        data["period"] = period
        if period == Period.CUSTOM:
            if start is None and "start" not in self.errors:
                self.add_error("start", _("Enter the first day of the period."))
            if end is None and "end" not in self.errors:
                self.add_error("end", _("Enter the last day of the period."))
            if start is not None and end is not None and start > end:
                self.add_error("end", _("The last day cannot be before the first day."))
        elif typed_dates:
            # Dates next to a preset would otherwise be ignored without a word.
            self.add_error("period", _("Choose “Custom range” to use your own dates, or clear the dates."))
        return data

    def filters(self) -> StatsFilters:
        """The validated filters; call only after is_valid()."""
        data = self.cleaned_data
        period = data["period"]
        date_range = DateRange(data["start"], data["end"]) if period == Period.CUSTOM else None
        if period not in (Period.CUSTOM, Period.ALL):
            date_range = preset_range(period, self.today)
        owner = data.get("owner") or ""
        return StatsFilters(
            period=date_range,
            owner_id=None if owner in ("", UNASSIGNED) else int(owner),
            unowned=owner == UNASSIGNED,
            compare=bool(data.get("compare")),
            preset=period,
        )


def stats_filters_from(data: Mapping[str, Any], *, account: Account) -> StatsFilters:
    """Validate filter parameters for the API exactly like the page does; errors name the parameter."""
    form = StatsFilterForm(
        {k: v for k, v in data.items() if k in FILTER_FIELDS and v is not None}, account=account, owner_choices=False
    )
    if not form.is_valid():
        fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        raise ValidationFailed(_("Please correct the filters."), fields=fields)
    return form.filters()


class RateField(forms.DecimalField):
    """A positive rate with at most 8 decimal places (more precision is refused, never rounded away)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}))
        super().__init__(max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMAL_PLACES, **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and value <= 0:
            raise forms.ValidationError(_("The rate must be a number greater than zero."), code="min_value")


class ExchangeRateForm(forms.Form):
    currency = forms.CharField(
        label=_("Currency"), max_length=3, help_text=_("A three-letter code, such as EUR or USD.")
    )
    rate = RateField(label=_("Rate"))

    def __init__(self, *args: Any, base_currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rate"].help_text = _("How much one unit of the currency is worth in %(base)s.") % {
            "base": base_currency
        }
        self.fields["currency"].widget.attrs.update({"autocomplete": "off", "class": "stats-currency-input"})

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).strip().upper()


class ExchangeRateEditForm(forms.Form):
    rate = RateField(label=_("Rate"))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, currency: str, base_currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rate"].label = _("1 %(currency)s in %(base)s") % {"currency": currency, "base": base_currency}
