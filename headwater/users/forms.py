from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from headwater.core.bidi import isolate
from headwater.core.currencies import CURRENCIES
from headwater.core.text import clean_name_field, text_problem
from headwater.users.models import Role, User


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        # One message for an unknown e-mail and a wrong password: the form does not reveal who has an account.
        "invalid_login": _("The e-mail or password is incorrect."),
        "inactive": _("The e-mail or password is incorrect."),
        # Only ever shown to someone who typed the right password.
        "unconfirmed": _(
            "Confirm your e-mail address first: we have sent a link to it. Open the link, then log in here."
        ),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.email_confirmed:
            raise forms.ValidationError(self.error_messages["unconfirmed"], code="unconfirmed")

    def clean_username(self) -> str:
        # Addresses are stored in lower case; "Ada@Example.test" must log in like "ada@example.test".
        return str(self.cleaned_data["username"]).strip().lower()


class SignupForm(forms.Form):
    """Sign-up asks only who you are: the password is chosen on the page the e-mailed link opens."""

    full_name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send a link to this address; open it to choose your password."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in ("full_name", "email"):
            value = data.get(field)
            if not value:
                continue
            if field == "full_name":
                try:
                    data[field] = clean_name_field(value)
                except forms.ValidationError as exc:
                    self.add_error(field, exc)
            elif problem := text_problem(value):
                self.add_error(field, problem)
        return data


class ChoosePasswordForm(forms.Form):
    """The page an e-mailed link opens for someone new (sign-up or invitation): their name and a password."""

    full_name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password and not only digits."),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        full_name = data.get("full_name")
        if full_name:
            try:
                full_name = data["full_name"] = clean_name_field(full_name)
            except forms.ValidationError as exc:
                self.add_error("full_name", exc)
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            try:
                password_validation.validate_password(password1, User(email=self.email, full_name=full_name or ""))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class AccountCreateForm(forms.Form):
    """A further account for a user who is already logged in; they become its admin."""

    account_name = forms.CharField(label=_("Company or team name"), max_length=200)
    slug = forms.SlugField(
        label=_("Account address"), max_length=50, help_text=_("Letters, digits and hyphens; used in your links.")
    )
    currency = forms.ChoiceField(label=_("Base currency"), choices=[(c, c) for c in CURRENCIES])
    # The language the person is reading the form in is the likeliest default for their team.
    language = forms.ChoiceField(
        label=_("Default language"),
        choices=settings.LANGUAGES,
        initial=get_language,
        help_text=_(
            "Names the starter acquisition sources and is the language of the invitations this account sends. "
            "Everyone's pages follow their own choice."
        ),
    )

    def clean_account_name(self) -> str:
        return clean_name_field(str(self.cleaned_data["account_name"]))


class MemberInviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)

    def clean_email(self) -> str:
        value = str(self.cleaned_data["email"])
        problem = text_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


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
        self.fields["reassign_to"].queryset = candidates  # type: ignore[attr-defined]  # a ModelChoiceField, declared above
        self.fields["reassign_to"].label_from_instance = lambda u: f"{isolate(u.display_name)} <{u.email}>"  # type: ignore[attr-defined]  # as above


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
