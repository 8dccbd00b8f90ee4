from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from headwater.users.models import Membership


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The account in use (from the URL) and the user's other accounts, for the header switcher."""
    account = getattr(request, "account", None)
    membership = getattr(request, "membership", None)

    def memberships() -> list[Membership]:
        if not request.user.is_authenticated:
            return []
        return list(Membership.unscoped.filter(user=request.user).select_related("account").order_by("account__name"))

    return {"current_account": account, "current_membership": membership, "my_memberships": memberships}
