from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from headwater.core.currencies import CURRENCIES
from headwater.core.models import Account
from headwater.core.text import clean_name_field


class AccountSettingsForm(forms.ModelForm[Account]):
    currency = forms.ChoiceField(label=_("Base currency"), choices=[(c, c) for c in CURRENCIES])
    language = forms.ChoiceField(
        label=_("Default language"),
        choices=settings.LANGUAGES,
        help_text=_("The language of the invitations this account sends. Everyone's pages follow their own choice."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z and not z.startswith("Etc/")],
        help_text=_("Decides which day a record belongs to in statistics."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Account
        fields = ["name", "currency", "language", "time_zone"]
        labels = {"name": _("Account name")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.settings_version

    def clean_name(self) -> str:
        return clean_name_field(str(self.cleaned_data["name"]), required=_("Enter the account name."))
