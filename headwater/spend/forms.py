"""Forms of the spend pages. They parse input only; the services decide what is valid."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from headwater.campaigns.selectors import campaign_list
from headwater.core.currencies import CURRENCIES
from headwater.core.dates import FilterDayField
from headwater.core.models import Account
from headwater.core.widgets import DateInput
from headwater.sources.selectors import source_list
from headwater.spend.models import SpendEntry

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


class MonthInput(forms.TextInput):
    """The browser's month picker; its value is always "YYYY-MM"."""

    input_type = "month"


class MonthField(forms.CharField):
    """A calendar month typed as "YYYY-MM"; cleans to its first day (None when empty)."""

    widget = MonthInput

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]  # a date, not a string
        text = str(super().to_python(value)).strip()
        if not text:
            return None
        match = _MONTH.fullmatch(text)
        if match is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return dt.date(int(match[1]), int(match[2]), 1)


def _campaign_choices(account: Account) -> list[tuple[str, str]]:
    return [(str(c.pk), f"{c.source.name} — {c.name}") for c in campaign_list(account=account)]


def _source_choices(account: Account) -> list[tuple[str, str]]:
    return [(str(s.pk), s.name) for s in source_list(account=account)]


def _an_id(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class SpendForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), required=False)
    campaign = forms.ChoiceField(label=_("Campaign"), required=False, help_text=_("Optional: one of the source's."))
    month = MonthField(label=_("Month"), required=False, help_text=_("A whole month, or a start and end date below."))
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DateInput)
    end_date = forms.DateField(label=_("End date"), required=False, widget=DateInput)
    # Text, not a number input: the service checks the exact decimal and says what is wrong, never rounds.
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("e.g. 1200.50"),
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    note = forms.CharField(label=_("Note"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, account: Account, instance: SpendEntry | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices("source", [("", _("Choose a source")), *_source_choices(account)])
        self._set_choices("campaign", [("", _("No campaign")), *_campaign_choices(account)])
        currencies = list(dict.fromkeys([account.currency, *CURRENCIES]))
        if instance is not None and instance.currency not in currencies:
            currencies.append(instance.currency)
        self._set_choices("currency", [(c, c) for c in currencies])
        self.initial.setdefault("currency", account.currency)
        if instance is not None and not self.is_bound:
            self.initial.update(
                source=str(instance.source_id),
                campaign=str(instance.campaign_id or ""),
                month=instance.start_date.strftime("%Y-%m") if instance.is_month else "",
                start_date=None if instance.is_month else instance.start_date,
                end_date=None if instance.is_month else instance.end_date,
                amount=number_format(instance.amount, 2),
                currency=instance.currency,
                note=instance.note,
                version=instance.version,
            )

    def _set_choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field: forms.ChoiceField = self.fields[name]  # type: ignore[assignment]  # declared above as that type
        field.choices = choices

    def clean_amount(self) -> str:
        # Accept a decimal comma and spaces as typed in Polish; the service refuses anything inexact.
        return str(self.cleaned_data["amount"]).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        source = _an_id(data["source"] or "")
        campaign = _an_id(data["campaign"] or "")
        return {
            "source": source if source is not None else 0,
            "campaign": campaign,
            "month": data["month"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "amount": data["amount"],
            "currency": data["currency"] or None,
            "note": data["note"],
        }


class SpendFilterForm(forms.Form):
    """The list's filters (GET): a source, a campaign, a period. Anything invalid is an error, never a 500."""

    source = forms.ChoiceField(label=_("Source"), required=False)
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    date_from = FilterDayField(label=_("From"), required=False, widget=DateInput)
    date_to = FilterDayField(label=_("To"), required=False, widget=DateInput)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source: forms.ChoiceField = self.fields["source"]  # type: ignore[assignment]  # declared above as that type
        source.choices = [("", _("All sources")), *_source_choices(account)]
        campaign: forms.ChoiceField = self.fields["campaign"]  # type: ignore[assignment]  # as above
        campaign.choices = [("", _("All")), ("none", _("No campaign")), *_campaign_choices(account)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("date_from"), data.get("date_to")
        if first is not None and last is not None and last < first:
            self.add_error("date_to", _("The end of the period cannot be before its start."))
        return data
