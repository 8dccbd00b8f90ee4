from __future__ import annotations

from django.db.models import QuerySet

from headwater.core.models import Account
from headwater.users.models import Membership, User


def membership_list(*, account: Account) -> QuerySet[Membership]:
    return Membership.objects.for_account(account).select_related("user").order_by("user__full_name", "user__email")


def account_users(*, account: Account) -> QuerySet[User]:
    """Users who may own records in `account`: its current members."""
    return User.objects.filter(memberships__account=account, is_active=True).order_by("full_name", "email")
