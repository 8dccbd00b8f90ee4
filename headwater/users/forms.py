from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from headwater.core.bidi import isolate
from headwater.core.text import clean_name_field, text_problem
from headwater.users.models import Role, User

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

    def clean_username(self) -> str:
        # Addresses are stored in lower case; "Ada@Example.test" must log in like "ada@example.test".
        return str(self.cleaned_data["username"]).strip().lower()


class SignupForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    account_name = forms.CharField(label=_("Company or team name"), max_length=200)
    slug = forms.SlugField(
        label=_("Account address"), max_length=50, help_text=_("Letters, digits and hyphens; used in your links.")
    )
    currency = forms.ChoiceField(label=_("Base currency"), choices=[(c, c) for c in CURRENCIES])
    # The language the person is reading the form in is the likeliest default for their team.
    language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES, initial=get_language)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in ("full_name", "account_name"):
            value = data.get(field)
            if value:
                try:
                    data[field] = clean_name_field(value)
                except forms.ValidationError as exc:
                    self.add_error(field, exc)
        password = data.get("password")
        if password:
            try:
                password_validation.validate_password(password)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class AccountCreateForm(forms.Form):
    """A further account for a user who is already logged in; they become its admin."""

    account_name = forms.CharField(label=_("Company or team name"), max_length=200)
    slug = forms.SlugField(
        label=_("Account address"), max_length=50, help_text=_("Letters, digits and hyphens; used in your links.")
    )
    currency = forms.ChoiceField(label=_("Base currency"), choices=[(c, c) for c in CURRENCIES])
    # The language the person is reading the form in is the likeliest default for their team.
    language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES, initial=get_language)

    def clean_account_name(self) -> str:
        return clean_name_field(str(self.cleaned_data["account_name"]))


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    full_name = forms.CharField(
        label=pgettext_lazy("person", "Name"),
        max_length=150,
        required=False,
        help_text=_("Used only when the person is new to Headwater."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        email = data.get("email")
        problem = text_problem(email) if email else None
        if problem:
            self.add_error("email", problem)
        if data.get("full_name"):
            try:
                data["full_name"] = clean_name_field(data["full_name"])
            except forms.ValidationError as exc:
                self.add_error("full_name", exc)
        return data


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class MemberRemoveForm(forms.Form):
    reassign_to = forms.ModelChoiceField(
        label=_("Give their records to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody: leave the records without an owner"),
    )

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the account's own admins and members are offered (and accepted).
        self.fields["reassign_to"].queryset = candidates  # type: ignore[attr-defined]
        self.fields["reassign_to"].label_from_instance = lambda u: f"{isolate(u.display_name)} <{u.email}>"  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
