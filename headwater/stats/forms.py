"""Statistics filters (shared by the page, the CSV export and the API) and the exchange-rate forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pydantic
from django import forms
from django.utils.translation import gettext_lazy as _
from pydantic import TypeAdapter

from headwater.channels.selectors import channel_list, channel_names
from headwater.core.dates import FilterDayField, account_today
from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.core.validation import parse_id
from headwater.core.widgets import DateInput, TextChoiceField
from headwater.records.forms import UNASSIGNED, AccountChoices, owner_filter_choices
from headwater.stats.campaign_stats import ALL_SOURCES, AllSources
from headwater.stats.filters import DateRange, GroupBy, Period, StatsFilters, preset_range
from headwater.stats.models import RATE_DECIMAL_PLACES, RATE_MAX_DIGITS
from headwater.stats.sorting import SORT_KEYS, parse_sort
from headwater.users.selectors import account_users

# The parameter names the page, its CSV and the API (JSON and CSV) all take; `owner` is the page's old name for
# `owner_id`, still accepted everywhere (docs/statistics.md).
FILTER_FIELDS = (
    "period",
    "start",
    "end",
    "owner_id",
    "channel",
    "compare",
    "group_by",
    "sort_contacts",
    "sort_open",
    "sort_closed",
)
# The page's switch of the trend's stacks; the API's trend takes it as `by` (/stats/trend), /stats/sources not at all.
TREND_FIELD = "trend_by"
# The channel filter's value for the sources without a channel.
NO_CHANNEL = "none"
# The drill-down's (and the record lists') value for the records without a source.
NO_SOURCE = "none"
OWNER_ALIAS = "owner"

# The words a boolean query parameter of the API accepts (pydantic's): true/false, on/off, yes/no, 1/0, t/f, y/n,
# in any case. The page's switch sends `true`; `on`, what it sent before, still means true.
_BOOLEAN: TypeAdapter[bool] = TypeAdapter(bool)


def _boolean(value: Any) -> bool | None:
    """The switch's value; None when it is not one of the accepted words."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    try:
        return _BOOLEAN.validate_python(str(value))
    except pydantic.ValidationError:
        return None


class CompareInput(forms.CheckboxInput):
    """The comparison switch: it sends `compare=true`, and hands the raw value to CompareField, which checks it."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, check_test=lambda value: _boolean(value) is True)

    def format_value(self, value: Any) -> str:
        return "true"

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class CompareField(forms.Field):
    widget = CompareInput
    default_error_messages = {
        "invalid": _("Use compare=true or compare=false (on, the old value, also means true)."),
    }

    def to_python(self, value: Any) -> bool:
        parsed = _boolean(value)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


def _sort_field(label: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=40, widget=forms.HiddenInput)


class StatsFilterForm(forms.Form):
    """Period (a preset or own dates, as days in the account's time zone), owner, the comparison switch, and each
    table's order (hidden: set by the tables' header links)."""

    # Choices of text (core.widgets): the form's copy of them is a list's copy, without Django's normalizing of each
    # choice (a third of copying the form's fields, for the period's ten). The page writes the period's select itself.
    period = TextChoiceField(label=_("Period"), required=False, choices=Period.choices)
    start = FilterDayField(label=_("From"), required=False, widget=DateInput, input_formats=["%Y-%m-%d"])
    end = FilterDayField(label=_("To"), required=False, widget=DateInput, input_formats=["%Y-%m-%d"])
    # The selects the page shows: choices of text, written into their <select>s without Django's work per choice.
    owner_id = TextChoiceField(label=_("Owner"), required=False)
    channel = TextChoiceField(label=_("Channel"), required=False)
    compare = CompareField(label=_("Compare with the previous period"), required=False)
    group_by = TextChoiceField(label=_("Group by"), required=False, choices=GroupBy.choices)
    sort_contacts = _sort_field(_("Order of the contacts table"))
    sort_open = _sort_field(_("Order of the open deals table"))
    sort_closed = _sort_field(_("Order of the closed deals table"))
    # The trend's stacks: by source (default) or by channel; set by the switch above the trend's charts.
    trend_by = TextChoiceField(
        label=_("Trend by"),
        required=False,
        choices=[("source", _("Source")), ("channel", _("Channel"))],
        widget=forms.HiddenInput,
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None,
        *,
        account: Account,
        today: dt.date | None = None,
        owner_choices: bool = True,
    ) -> None:
        self.owner_alias_conflict = False
        if data is not None and OWNER_ALIAS in data:
            data = self._with_owner_alias(data)
        super().__init__(data)
        self.account = account
        self.today = today or account_today(account)
        self.owner_choices: list[tuple[str, str]] = []
        if owner_choices:
            self.owner_choices = owner_filter_choices(AccountChoices(account))
            owner: forms.ChoiceField = self.fields["owner_id"]  # type: ignore[assignment]  # `fields` holds Field: this one is declared above as that type
            owner.choices = self.owner_choices
            channel: forms.ChoiceField = self.fields["channel"]  # type: ignore[assignment]  # declared above as that type
            channel.choices = [
                ("", _("All channels")),
                *((str(pk), name) for pk, name in channel_names(account=account)),
                (NO_CHANNEL, _("No channel")),
            ]
        else:
            # The API renders no select: check only the id it was given (one query, and none without an owner).
            self.fields["owner_id"] = forms.CharField(label=_("Owner"), required=False)
            self.fields["channel"] = forms.CharField(label=_("Channel"), required=False)

    def clean_channel(self) -> str:
        value = str(self.cleaned_data.get("channel") or "")
        if isinstance(self.fields["channel"], forms.ChoiceField) or value in ("", NO_CHANNEL):
            return value
        channel_id = parse_id(value)
        if channel_id is None or not channel_list(account=self.account).filter(pk=channel_id).exists():
            raise forms.ValidationError(
                _("Select a valid choice. %(value)s is not one of the available choices."), params={"value": value}
            )
        return value

    def _with_owner_alias(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """`owner=5` (the old name) as `owner_id=5`; both given, they must agree."""
        plain = {key: data.get(key) for key in data}
        alias = plain.pop(OWNER_ALIAS)
        if "owner_id" not in plain:
            plain["owner_id"] = alias
        elif (plain["owner_id"] or "") != (alias or ""):
            self.owner_alias_conflict = True
        return plain

    def clean_owner_id(self) -> str:
        value = str(self.cleaned_data.get("owner_id") or "")
        if self.owner_alias_conflict:
            raise forms.ValidationError(
                _("Give the owner once: owner_id (owner, its old name, names another one here).")
            )
        if isinstance(self.fields["owner_id"], forms.ChoiceField) or value in ("", UNASSIGNED):
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
        group_by = data.get("group_by") or GroupBy.SOURCE
        data["group_by"] = group_by
        if group_by != GroupBy.SOURCE:
            # The touch tallies are kept for all owners and one period: say so rather than ignore the filter.
            if data.get("owner_id"):
                self.add_error(
                    "owner_id",
                    _("Figures by touch are not kept per owner: choose “Anyone”, or group by the record's source."),
                )
            if data.get("compare"):
                self.add_error(
                    "compare", _("Comparing periods works when grouping by the record's source; switch it off here.")
                )
        for section, keys in SORT_KEYS.items():
            value = data.get(f"sort_{section}") or ""
            if value and parse_sort(section, value) is None:
                self.add_error(
                    f"sort_{section}",
                    _("Unknown order “%(value)s”: use one of %(keys)s, with - before it for descending.")
                    % {"value": value, "keys": ", ".join(keys)},
                )
        return data

    def filters(self) -> StatsFilters:
        """The validated filters; call only after is_valid()."""
        data = self.cleaned_data
        period = data["period"]
        date_range = DateRange(data["start"], data["end"]) if period == Period.CUSTOM else None
        if period not in (Period.CUSTOM, Period.ALL):
            date_range = preset_range(period, self.today)
        owner = data.get("owner_id") or ""
        channel = data.get("channel") or ""
        return StatsFilters(
            period=date_range,
            owner_id=None if owner in ("", UNASSIGNED) else int(owner),
            unowned=owner == UNASSIGNED,
            channel_id=None if channel in ("", NO_CHANNEL) else int(channel),
            no_channel=channel == NO_CHANNEL,
            compare=bool(data.get("compare")),
            preset=period,
            group_by=data.get("group_by") or GroupBy.SOURCE,
        )

    def trend_stacks(self) -> str:
        """The trend's stacks ("source" or "channel"); call only after is_valid()."""
        return str(self.cleaned_data.get("trend_by") or "source")

    def sorts(self) -> dict[str, tuple[str, bool] | None]:
        """Each table's order (None: the catalogue's); call only after is_valid()."""
        return {section: parse_sort(section, self.cleaned_data.get(f"sort_{section}") or None) for section in SORT_KEYS}

    def sort_params(self) -> dict[str, str]:
        """The orders chosen, as query parameters (for the hidden inputs that keep them when the filters change)."""
        params = {
            f"sort_{section}": self.cleaned_data[f"sort_{section}"]
            for section in SORT_KEYS
            if self.cleaned_data.get(f"sort_{section}")
        }
        if self.cleaned_data.get("trend_by"):  # the trend's switch, kept when the filters change
            params["trend_by"] = self.cleaned_data["trend_by"]
        return params

    def channel_label(self) -> str:
        """The chosen channel's name ("" for all channels; needs the select's choices)."""
        choices = getattr(self.fields["channel"], "choices", [])
        value = self.cleaned_data.get("channel") or ""
        # The choices' labels are lazy ("No channel"): the spreadsheet writers take plain text.
        return str(dict(choices).get(value, "")) if value else ""

    def owner_label(self) -> str:
        """The chosen owner's name as the select shows it ("Anyone" when none); "" without the select's choices."""
        return dict(self.owner_choices).get(self.cleaned_data.get("owner_id") or "", "")


class CampaignPartForm(StatsFilterForm):
    """The filters of the page's drill-down to one source's campaigns (stats/part_views.py), and the source: its id,
    or "none" (the record lists' `?source=`); without one, every source's. Owner and channel checked by id, as the
    API does (no select here)."""

    source = forms.CharField(label=_("Source"), required=False, max_length=20)

    def __init__(self, data: Mapping[str, Any] | None, *, account: Account) -> None:
        super().__init__(data, account=account, owner_choices=False)

    def clean_source(self) -> int | AllSources | None:
        value = str(self.cleaned_data.get("source") or "")
        if not value:
            return ALL_SOURCES
        if value == NO_SOURCE:
            return None
        source_id = parse_id(value)
        if not source_id:  # not an id, or 0
            raise forms.ValidationError(_("Give the source by its id (or “none” for records without a source)."))
        return source_id


class TrendPartForm(StatsFilterForm):
    """The filters of a trend chart's figures (stats/part_views.py), and which chart's: new contacts or won value
    (without one, both)."""

    figures = forms.ChoiceField(
        label=_("Figures"), required=False, choices=[("contacts", _("New contacts")), ("won", _("Won value"))]
    )

    def __init__(self, data: Mapping[str, Any] | None, *, account: Account) -> None:
        super().__init__(data, account=account, owner_choices=False)


def stats_filter_form(data: Mapping[str, Any], *, account: Account, owner_choices: bool = False) -> StatsFilterForm:
    """The filter form over API parameters, validated exactly like the page's; errors name the parameter."""
    names = (*FILTER_FIELDS, OWNER_ALIAS, TREND_FIELD)
    form = StatsFilterForm(
        {k: v for k, v in data.items() if k in names and v is not None}, account=account, owner_choices=owner_choices
    )
    if not form.is_valid():
        fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        raise ValidationFailed(_("Please correct the filters."), fields=fields)
    return form


def stats_filters_from(data: Mapping[str, Any], *, account: Account) -> StatsFilters:
    """Validate filter parameters for the API exactly like the page does; errors name the parameter."""
    return stats_filter_form(data, account=account).filters()


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
