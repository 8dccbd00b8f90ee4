"""Forms of the campaign pages. They parse input only; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from headwater.campaigns.models import Campaign
from headwater.core.currencies import CURRENCIES
from headwater.core.models import Account
from headwater.core.widgets import DateInput


class CampaignForm(forms.Form):
    # No maxlength attribute: a browser would silently cut a longer paste; the service explains the limit.
    name = forms.CharField(label=_("Campaign name"), required=False, strip=False)
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DateInput)
    end_date = forms.DateField(
        label=_("End date"), required=False, widget=DateInput, help_text=_("Empty while the campaign runs.")
    )
    # Text, not a number input: the service checks the exact decimal and says what is wrong, never rounds.
    budget = forms.CharField(
        label=_("Planned budget"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("Optional, e.g. 5000.00."),
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, account: Account, instance: Campaign | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currencies = list(dict.fromkeys([account.currency, *CURRENCIES]))
        if instance is not None and instance.currency and instance.currency not in currencies:
            currencies.append(instance.currency)
        currency: forms.ChoiceField = self.fields["currency"]  # type: ignore[assignment]  # declared above as that type
        currency.choices = [(c, c) for c in currencies]
        self.initial.setdefault("currency", account.currency)
        if instance is not None and not self.is_bound:
            self.initial.update(
                name=instance.name,
                start_date=instance.start_date,
                end_date=instance.end_date,
                budget=number_format(instance.budget, 2) if instance.budget is not None else "",
                currency=instance.currency or account.currency,
                version=instance.version,
            )

    def clean_budget(self) -> str:
        # Accept a decimal comma and spaces as typed in Polish; the service refuses anything inexact.
        return str(self.cleaned_data["budget"]).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "budget": data["budget"] or None,
            "currency": data["currency"] or None,
        }
