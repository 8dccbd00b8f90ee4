from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from headwater.users.access import user_membership_list
from headwater.users.models import Membership


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The account in use (from the URL) and the user's other accounts, for the header switcher."""
    account = getattr(request, "account", None)
    membership = getattr(request, "membership", None)

    def memberships() -> list[Membership]:
        # Account pages loaded the list with the current membership (users.access.account_view).
        loaded: list[Membership] | None = getattr(request, "memberships", None)
        if loaded is not None:
            return loaded
        if not request.user.is_authenticated:
            return []
        return user_membership_list(request.user)

    return {"current_account": account, "current_membership": membership, "my_memberships": memberships}
