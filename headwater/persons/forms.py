from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from headwater.companies.models import Company
from headwater.companies.selectors import company_lookup
from headwater.core.validation import parse_id
from headwater.persons.models import Person
from headwater.persons.selectors import PersonFilters
from headwater.records.forms import (
    CREATE_COMPANY,
    TOO_LONG,
    AccountRecordField,
    RecordFilterForm,
    RecordForm,
    refuse_long_text,
    setup_picker,
)

PERSON_FORM_FIELDS = ("first_name", "last_name", "email", "phone", "position", "company", "owner", "source", "notes")


class PersonForm(RecordForm):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    position = forms.CharField(label=_("Position"), max_length=150, required=False)
    company = AccountRecordField(queryset=Company.unscoped.none(), label=_("Company"), required=False, empty_label="—")

    def __init__(self, *args: Any, instance: Person | None = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=instance, **kwargs)
        if instance is not None and not self.is_bound:
            for name in ("first_name", "last_name", "email", "phone", "position", "notes"):
                self.initial[name] = getattr(instance, name)
            self.initial["owner"] = instance.owner_id
            self.initial["company"] = instance.company_id
        slug = {"account_slug": self.account.slug}
        setup_picker(
            self,
            "company",
            queryset=Company.objects.for_account(self.account),
            lookup=company_lookup,
            lookup_url=reverse("companies:lookup", kwargs=slug),
            create_url=reverse("companies:quick_create", kwargs=slug),
            create_label=CREATE_COMPANY,
        )
        self.order_fields(PERSON_FORM_FIELDS)

    def contacts(self) -> tuple[Any, Any]:
        return self.cleaned_data.get("company"), None

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PERSON_FORM_FIELDS if name != "source"}


class PersonFilterForm(RecordFilterForm):
    company = AccountRecordField(queryset=Company.unscoped.none(), label=_("Company"), required=False, empty_label="—")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        setup_picker(
            self,
            "company",
            queryset=Company.objects.for_account(self.account),
            lookup=company_lookup,
            lookup_url=reverse("companies:lookup", kwargs={"account_slug": self.account.slug}),
            browse=False,
        )
        self.order_fields(["q", "company", "owner", "source"])

    def filters(self) -> PersonFilters:
        company = self.cleaned_data.get("company")
        return PersonFilters(**self.common_filters(), company=company.pk if company else None)


class PersonQuickForm(forms.Form):
    """The typeahead's "Create person “X”": what follows the last space is the last name, the rest the first name;
    `company` (the deal form's company, when one is picked) links the person, whose source then follows it."""

    name = forms.CharField(label=_("Name"), max_length=201)
    company = forms.CharField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        refuse_long_text(self.fields["name"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Split at the last space only; everything else stays as typed, as in the full form.
        first, _space, last = str(data.pop("name", "")).strip().rpartition(" ")
        if not last:
            if "name" not in self.errors:
                self.add_error("name", _("Enter the last name."))
            return data
        data["first_name"], data["last_name"] = first.strip(), last
        for field in ("first_name", "last_name"):
            limit = int(getattr(PersonForm.base_fields[field], "max_length", 0) or 0)
            if len(data[field]) > limit:
                self.add_error("name", TOO_LONG % {"limit_value": limit, "show_value": len(data[field])})
        raw = data.get("company") or ""
        data["company"] = parse_id(raw) if raw else None
        if raw and data["company"] is None:
            self.add_error("company", _("Choose a company of this account."))
        return data
