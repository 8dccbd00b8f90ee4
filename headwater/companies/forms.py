from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from headwater.companies.models import Company
from headwater.records.forms import RecordFilterForm, RecordForm, refuse_long_text
from headwater.records.listing import RecordFilters

COMPANY_FORM_FIELDS = (
    "name",
    "tax_id",
    "regon",
    "website",
    "email",
    "phone",
    "street",
    "postal_code",
    "city",
    "country",
    "owner",
    "source",
    "notes",
)


class CompanyForm(RecordForm):
    name = forms.CharField(label=_("Company name"), max_length=200)
    tax_id = forms.CharField(label=_("Tax ID"), max_length=32, required=False)
    regon = forms.CharField(
        label=_("REGON"), max_length=20, required=False, help_text=_("9 or 14 digits; checked when saved.")
    )
    website = forms.CharField(label=_("Website"), max_length=300, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    street = forms.CharField(label=_("Street"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.CharField(label=_("Country"), max_length=100, required=False)

    field_order = COMPANY_FORM_FIELDS

    def __init__(self, *args: Any, instance: Company | None = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=instance, **kwargs)
        if instance is not None and not self.is_bound:
            for name in COMPANY_FORM_FIELDS:
                if name in ("owner", "source"):
                    continue
                self.initial[name] = getattr(instance, name)
            self.initial["owner"] = instance.owner_id
        self.order_fields(COMPANY_FORM_FIELDS)

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in COMPANY_FORM_FIELDS if name not in ("source",)}


class CompanyFilterForm(RecordFilterForm):
    def filters(self) -> RecordFilters:
        return RecordFilters(**self.common_filters())


class CompanyQuickForm(forms.Form):
    """The typeahead's "Create company “X”": only the name; the rest can be filled in on the company's page."""

    name = forms.CharField(label=_("Company name"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        refuse_long_text(self.fields["name"])
