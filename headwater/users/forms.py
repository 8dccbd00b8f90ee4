from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from headwater.core.text import text_problem

CURRENCIES = ["PLN", "EUR", "USD", "GBP", "CHF", "CZK", "SEK", "NOK", "DKK", "UAH"]


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        # One message for an unknown e-mail and a wrong password: the form does not reveal who has an account.
        "invalid_login": _("The e-mail or password is incorrect."),
        "inactive": _("The e-mail or password is incorrect."),
    }


class SignupForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    account_name = forms.CharField(label=_("Company or team name"), max_length=200)
    slug = forms.SlugField(
        label=_("Account address"), max_length=50, help_text=_("Letters, digits and hyphens; used in your links.")
    )
    currency = forms.ChoiceField(label=_("Base currency"), choices=[(c, c) for c in CURRENCIES])
    language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in ("full_name", "account_name"):
            value = data.get(field)
            if value:
                problem = text_problem(value)
                if problem:
                    self.add_error(field, problem)
        password = data.get("password")
        if password:
            try:
                password_validation.validate_password(password)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data
