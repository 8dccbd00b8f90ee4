from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from headwater.core.currencies import CURRENCIES
from headwater.core.models import Account
from headwater.core.text import clean_name_field
from headwater.workspace.services import STATS_MIN_CLOSED_MAX


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
    stats_min_closed = forms.IntegerField(
        label=_("Closed deals a source needs for “best win rate”"),
        min_value=1,
        max_value=STATS_MIN_CLOSED_MAX,
        # Left empty (a client that predates it, a form without it): the stored value stays.
        required=False,
        help_text=_(
            "Statistics name the source with the best win rate only among sources with at least this many won and "
            "lost deals in the period: two deals and a lucky win are no evidence."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Account
        fields = ["name", "currency", "language", "time_zone", "stats_min_closed"]
        labels = {"name": _("Account name")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.settings_version

    def clean_name(self) -> str:
        return clean_name_field(str(self.cleaned_data["name"]), required=_("Enter the account name."))
