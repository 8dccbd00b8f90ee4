"""The form that creates a personal API token on the profile page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from headwater.core.models import Account
from headwater.users.models import User
from headwater.users.token_services import NAME_MAX_LENGTH


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("What uses it, e.g. “website form” or “weekly export”."),
    )
    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=Account.objects.none(),
        empty_label=None,
        help_text=_("The token works in this account only, with your role there."),
    )

    prefix = "token"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the accounts the user belongs to: another account's id is "not a valid choice".
        account_field: Any = self.fields["account"]
        account_field.queryset = Account.objects.filter(pk__in=user.memberships.values("account_id")).order_by(
            "name", "slug"
        )
