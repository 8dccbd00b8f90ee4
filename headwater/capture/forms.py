"""Forms of the capture pages. They parse input only; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from headwater.capture.models import ClickIdCondition, MappingRule
from headwater.core.models import Account
from headwater.sources.selectors import source_list


def _sources(account: Account) -> Any:
    return source_list(account=account, include_archived=False)


class RuleForm(forms.Form):
    utm_source = forms.CharField(
        label=_("utm_source is one of"),
        required=False,
        help_text=_("Values separated by commas; case does not matter."),
    )
    utm_medium = forms.CharField(label=_("utm_medium is one of"), required=False)
    utm_campaign = forms.CharField(label=_("utm_campaign is one of"), required=False)
    referrer_domains = forms.CharField(
        label=_("The referrer's domain is one of"),
        required=False,
        help_text=_("E.g. facebook.com (covers l.facebook.com too), or google.* for Google in every country."),
    )
    click_id = forms.ChoiceField(label=_("Click id"), required=False, choices=ClickIdCondition.choices)
    landing_path = forms.CharField(label=_("The landing page's path starts with"), required=False)
    target: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Then the source is"), queryset=None, required=False
    )
    apply_past = forms.BooleanField(
        label=_("Also apply the rules to past touches and their records now"), required=False
    )

    def __init__(self, *args: Any, account: Account, rule: MappingRule | None = None, **kwargs: Any) -> None:
        if rule is not None:
            kwargs.setdefault(
                "initial",
                {
                    "utm_source": rule.utm_source,
                    "utm_medium": rule.utm_medium,
                    "utm_campaign": rule.utm_campaign,
                    "referrer_domains": rule.referrer_domains,
                    "click_id": rule.click_id,
                    "landing_path": rule.landing_path,
                    "target": rule.target_id,
                },
            )
        super().__init__(*args, **kwargs)
        target: Any = self.fields["target"]
        target.queryset = _sources(account)


class LinkTestForm(forms.Form):
    landing_url = forms.CharField(
        label=_("Landing page address"), required=False, help_text=_("The full address, with its ?utm_... part.")
    )
    referrer = forms.CharField(label=_("Referrer"), required=False, help_text=_("The page the visitor came from."))


class MapValueForm(forms.Form):
    ACTIONS = [
        ("source", _("It stands for a source")),
        ("new", _("It is a new source")),
        ("ignore", _("Ignore it")),
    ]
    kind = forms.CharField(widget=forms.HiddenInput)
    value = forms.CharField(widget=forms.HiddenInput, strip=False)
    action = forms.ChoiceField(label=_("What it means"), choices=ACTIONS, initial="source")
    source: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Source"), queryset=None, required=False)
    new_name = forms.CharField(label=_("New source's name"), required=False)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source: Any = self.fields["source"]
        source.queryset = _sources(account)


class CorrectForm(forms.Form):
    source: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("The first touch's source"), queryset=None, required=False
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source: Any = self.fields["source"]
        source.queryset = _sources(account)
