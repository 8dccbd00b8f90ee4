from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from headwater.companies.models import Company
from headwater.companies.selectors import company_lookup
from headwater.core.dates import FilterDayField
from headwater.core.record_forms import AccountRecordField, DayInput, RecordFilterForm, RecordForm, setup_picker
from headwater.deals.models import Deal, DealStatus
from headwater.deals.selectors import DealFilters
from headwater.persons.models import Person
from headwater.persons.selectors import person_label, person_lookup
from headwater.users.forms import CURRENCIES

DEAL_FORM_FIELDS = (
    "name",
    "value",
    "currency",
    "status",
    "expected_close_date",
    "closed_at",
    "lost_reason",
    "company",
    "person",
    "owner",
    "source",
    "notes",
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _setup_contact_pickers(form: forms.Form, account_slug: str) -> None:
    account = form.account  # type: ignore[attr-defined]
    setup_picker(
        form,
        "company",
        queryset=Company.objects.for_account(account),
        lookup=company_lookup,
        lookup_url=reverse("companies:lookup", kwargs={"account_slug": account_slug}),
    )
    setup_picker(
        form,
        "person",
        queryset=Person.objects.for_account(account),
        lookup=person_lookup,
        lookup_url=reverse("persons:lookup", kwargs={"account_slug": account_slug}),
        label=person_label,
    )


class DealForm(RecordForm):
    name = forms.CharField(label=_("Deal name"), max_length=200)
    # Text, not a number input: the service checks the exact decimal and says what is wrong, never rounds.
    value = forms.CharField(
        label=_("Value"), max_length=20, initial="0", widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    currency = forms.ChoiceField(label=_("Currency"))
    status = forms.ChoiceField(label=_("Status"), choices=DealStatus.choices, initial=DealStatus.OPEN)
    expected_close_date = forms.DateField(label=_("Expected close date"), required=False, widget=DateInput())
    closed_at = forms.DateField(
        label=_("Closed on"),
        required=False,
        widget=DateInput(),
        help_text=_("Filled with today when the deal is marked won or lost and left empty."),
    )
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=300, required=False)
    company = AccountRecordField(queryset=Company.unscoped.none(), label=_("Company"), required=False, empty_label="—")
    person = AccountRecordField(queryset=Person.unscoped.none(), label=_("Person"), required=False, empty_label="—")

    def __init__(self, *args: Any, instance: Deal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=instance, **kwargs)
        currencies = list(dict.fromkeys([self.account.currency, *CURRENCIES]))
        if instance is not None and instance.currency not in currencies:
            currencies.append(instance.currency)
        currency: forms.ChoiceField = self.fields["currency"]  # type: ignore[assignment]
        currency.choices = [(c, c) for c in currencies]
        self.initial.setdefault("currency", self.account.currency)
        if instance is not None and not self.is_bound:
            for name in DEAL_FORM_FIELDS:
                if name not in ("company", "person", "owner", "source"):
                    self.initial[name] = getattr(instance, name)
            self.initial["value"] = number_format(instance.value, 2)  # "1250,50" in Polish: the form reads it back
            self.initial.update(owner=instance.owner_id, company=instance.company_id, person=instance.person_id)
        _setup_contact_pickers(self, self.account.slug)
        self.order_fields(DEAL_FORM_FIELDS)

    def clean_value(self) -> str:
        # Accept a decimal comma as typed in Polish; the service refuses anything that is not an exact amount.
        return str(self.cleaned_data["value"]).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")

    def contacts(self) -> tuple[Any, Any]:
        return self.cleaned_data.get("company"), self.cleaned_data.get("person")

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in DEAL_FORM_FIELDS if name != "source"}


class DealFilterForm(RecordFilterForm):
    status = forms.ChoiceField(label=_("Status"), required=False)
    company = AccountRecordField(queryset=Company.unscoped.none(), label=_("Company"), required=False, empty_label="—")
    person = AccountRecordField(queryset=Person.unscoped.none(), label=_("Person"), required=False, empty_label="—")
    closed_from = FilterDayField(label=_("Closed from"), required=False, widget=DayInput)
    closed_to = FilterDayField(label=_("Closed to"), required=False, widget=DayInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status: forms.ChoiceField = self.fields["status"]  # type: ignore[assignment]
        status.choices = [("", _("Any status")), *DealStatus.choices]
        _setup_contact_pickers(self, self.account.slug)
        self.order_fields(["q", "status", "company", "person", "owner", "source"])

    def filters(self) -> DealFilters:
        data = self.cleaned_data
        company, person = data.get("company"), data.get("person")
        return DealFilters(
            **self.common_filters(),
            status=data.get("status") or "",
            company=company.pk if company else None,
            person=person.pk if person else None,
            closed_from=data.get("closed_from"),
            closed_to=data.get("closed_to"),
        )
