from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from headwater.companies.models import Company
from headwater.companies.selectors import company_lookup
from headwater.core.currencies import CURRENCIES
from headwater.core.dates import FilterDayField
from headwater.core.widgets import DateInput, TextChoiceField
from headwater.deals.models import Deal, DealStatus
from headwater.deals.selectors import DealFilters
from headwater.persons.models import Person
from headwater.persons.selectors import person_label, person_lookup
from headwater.records.forms import (
    CREATE_COMPANY,
    CREATE_PERSON,
    AccountRecordField,
    RecordFilterForm,
    RecordForm,
    refuse_long_text,
    setup_picker,
)

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


def _setup_contact_pickers(form: forms.Form, account_slug: str, *, can_create: bool = False) -> None:
    """The company and person pickers; `can_create` (the deal form) lets them create a missing one and offers the
    first records as options (a filter bar offers a search's matches only: records.forms.setup_picker)."""
    account = form.account  # type: ignore[attr-defined]  # the deal form and the deal filter form both carry it
    slug = {"account_slug": account_slug}
    setup_picker(
        form,
        "company",
        queryset=Company.objects.for_account(account),
        lookup=company_lookup,
        lookup_url=reverse("companies:lookup", kwargs=slug),
        create_url=reverse("companies:quick_create", kwargs=slug) if can_create else "",
        create_label=CREATE_COMPANY,
        browse=can_create,
    )
    setup_picker(
        form,
        "person",
        queryset=Person.objects.for_account(account),
        lookup=person_lookup,
        lookup_url=reverse("persons:lookup", kwargs=slug),
        label=person_label,
        create_url=reverse("persons:quick_create", kwargs=slug) if can_create else "",
        create_label=CREATE_PERSON,
        browse=can_create,
    )


# The fields that mean something only once a deal is closed, and for which statuses.
SHOWN_FOR = {"closed_at": (DealStatus.WON, DealStatus.LOST), "lost_reason": (DealStatus.LOST,)}


class DealForm(RecordForm):
    name = forms.CharField(label=_("Deal name"), max_length=200)
    # Text, not a number input: the service checks the exact decimal and says what is wrong, never rounds.
    value = forms.CharField(
        label=_("Value"), max_length=20, initial="0", widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    currency = forms.ChoiceField(label=_("Currency"))
    status = forms.ChoiceField(label=_("Status"), choices=DealStatus.choices, initial=DealStatus.OPEN)
    expected_close_date = forms.DateField(label=_("Expected close date"), required=False, widget=DateInput)
    closed_at = forms.DateField(
        label=_("Closed on"),
        required=False,
        widget=DateInput,
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
        currency: forms.ChoiceField = self.fields["currency"]  # type: ignore[assignment]  # `fields` holds Field: this one is declared above as that type
        currency.choices = [(c, c) for c in currencies]
        self.initial.setdefault("currency", self.account.currency)
        if instance is not None and not self.is_bound:
            for name in DEAL_FORM_FIELDS:
                if name not in ("company", "person", "owner", "source"):
                    self.initial[name] = getattr(instance, name)
            self.initial["value"] = number_format(instance.value, 2)  # "1250,50" in Polish: the form reads it back
            self.initial.update(owner=instance.owner_id, company=instance.company_id, person=instance.person_id)
        _setup_contact_pickers(self, self.account.slug, can_create=True)
        self.order_fields(DEAL_FORM_FIELDS)
        status = self.data.get(self.add_prefix("status")) if self.is_bound else self.initial.get("status")
        # Shown only for the statuses they belong to; records.js shows and hides them when the status changes.
        self.concealed = {name for name, statuses in SHOWN_FOR.items() if status not in statuses}
        for name, statuses in SHOWN_FOR.items():
            self.fields[name].shown_for = " ".join(statuses)  # type: ignore[attr-defined]  # read by the template

    def clean_value(self) -> str:
        # Accept a decimal comma as typed in Polish; the service refuses anything that is not an exact amount.
        return str(self.cleaned_data["value"]).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")

    def contacts(self) -> tuple[Any, Any]:
        return self.cleaned_data.get("company"), self.cleaned_data.get("person")

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in DEAL_FORM_FIELDS if name != "source"}


class DealFilterForm(RecordFilterForm):
    status = TextChoiceField(label=_("Status"), required=False)
    company = AccountRecordField(queryset=Company.unscoped.none(), label=_("Company"), required=False, empty_label="—")
    person = AccountRecordField(queryset=Person.unscoped.none(), label=_("Person"), required=False, empty_label="—")
    closed_from = FilterDayField(label=_("Closed from"), required=False, widget=DateInput)
    closed_to = FilterDayField(label=_("Closed to"), required=False, widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status: forms.ChoiceField = self.fields["status"]  # type: ignore[assignment]  # `fields` holds Field: this one is declared above as that type
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


class DealStatusForm(forms.Form):
    """The deal page's Won / Lost / Reopen buttons: a status change through the edit form's service."""

    status = forms.ChoiceField(choices=DealStatus.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=300, required=False)

    def __init__(self, *args: Any, deal: Deal, **kwargs: Any) -> None:
        data = args[0] if args else kwargs.get("data")
        status = (data or {}).get("status") or (kwargs.get("initial") or {}).get("status")
        # The deal page shows one of these per status: each its own ids (id_lost_version), never two id_version.
        kwargs.setdefault("auto_id", f"id_{status}_%s" if status in DealStatus.values else "id_%s")
        super().__init__(*args, **kwargs)
        self.deal = deal
        self.initial.setdefault("version", deal.version)
        self.initial.setdefault("lost_reason", deal.lost_reason)
        refuse_long_text(self.fields["lost_reason"])

    def service_fields(self) -> dict[str, Any]:
        """The changes for deal_update: a reason only when the deal becomes lost (any other status clears it)."""
        status = self.cleaned_data["status"]
        changes: dict[str, Any] = {"status": status}
        if status == DealStatus.LOST:
            changes["lost_reason"] = self.cleaned_data["lost_reason"]
        return changes
