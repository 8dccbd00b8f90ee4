"""The lead form editor (admins) and the public form a visitor fills in. They parse input; the services decide."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.leadforms import services
from headwater.leadforms.models import FIELD_CATALOGUE, Asked, LeadForm
from headwater.records.forms import OwnerField, refuse_long_text
from headwater.users.models import User
from headwater.users.selectors import account_users


class LeadFormForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Shown to you, and as the touch's channel."))
    how_heard = forms.BooleanField(label=_("Ask “How did you hear about us?”"), required=False)
    answers = forms.CharField(
        label=_("Answers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One answer a line; after “=”, the source it stands for (a name or alias), e.g. “A friend = Referral”."
        ),
    )
    consent_text = forms.CharField(
        label=_("Consent text"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("When filled in, the visitor must tick a box with this text before sending."),
    )
    thank_you = forms.CharField(
        label=_("Thank-you message"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    redirect_url = forms.CharField(
        label=_("Or redirect to"),
        required=False,
        max_length=2000,
        help_text=_("A page of yours (http:// or https://) the visitor goes to after sending, instead of the message."),
    )
    opens_deal = forms.BooleanField(label=_("Each submission opens a deal"), required=False)
    deal_owner = OwnerField(queryset=User.objects.none(), required=False, label=_("Deal owner"), empty_label="—")
    deal_value = forms.DecimalField(
        label=_("Deal value"), required=False, min_value=Decimal("0"), max_digits=14, decimal_places=2
    )
    allowed_origins = forms.CharField(
        label=_("Websites allowed to embed the form"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line, e.g. https://www.example.pl (scheme, host and optional port; no path)."),
    )
    active = forms.BooleanField(label=_("Active (takes submissions)"), required=False, initial=True)

    def __init__(self, *args: Any, account: Account, form: LeadForm | None = None, **kwargs: Any) -> None:
        self.account = account
        if form is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": form.name,
                    "how_heard": form.how_heard,
                    "answers": services.answers_text(form),
                    "consent_text": form.consent_text,
                    "thank_you": form.thank_you,
                    "redirect_url": form.redirect_url,
                    "opens_deal": form.opens_deal,
                    "deal_owner": form.deal_owner_id,
                    "deal_value": form.deal_value,
                    "allowed_origins": "\n".join(form.allowed_origins),
                    "active": form.active,
                    **{f"field_{key}": value for key, value in form.fields.items()},
                },
            )
        else:
            kwargs.setdefault(
                "initial",
                {
                    "active": True,
                    "field_first_name": "optional",
                    "field_last_name": "required",
                    "field_email": "required",
                },
            )
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["deal_owner"]
        owner.queryset = account_users(account=account)
        for key, label, _record, _attr, _limit in FIELD_CATALOGUE:
            self.fields[f"field_{key}"] = forms.ChoiceField(label=str(label), choices=Asked.choices, required=False)
        for field in self.fields.values():
            refuse_long_text(field)

    def field_rows(self) -> list[Any]:
        return [self[f"field_{key}"] for key in [row[0] for row in FIELD_CATALOGUE]]

    def settings_fields(self) -> list[Any]:
        return [self[name] for name in self.declared_fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        checks: dict[str, Callable[[], Any]] = {
            "allowed_origins": lambda: services.parse_origins(data.get("allowed_origins") or ""),
            "redirect_url": lambda: services.check_redirect(data.get("redirect_url") or ""),
            "answers": lambda: services.parse_answers(account=self.account, text=data.get("answers") or ""),
        }
        for name, check in checks.items():
            if name in self.errors:
                continue
            try:
                data[name] = check()
            except ValidationFailed as exc:
                for message in exc.fields.get(name, [exc.message]):
                    self.add_error(name, message)
        if data.get("how_heard") and not data.get("answers") and "answers" not in self.errors:
            self.add_error("answers", _("Write at least one answer, or do not ask the question."))
        data["fields"] = {key: data.get(f"field_{key}") for key, *_rest in FIELD_CATALOGUE if data.get(f"field_{key}")}
        if data.get("deal_value") is None:
            data["deal_value"] = Decimal("0")
        return data


class ConfirmDeleteForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, delete the form"), required=True)
