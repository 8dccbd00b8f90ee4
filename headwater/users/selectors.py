"""Reads about users, memberships and the accounts a user belongs to."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from headwater.companies.models import Company
from headwater.core.compiled import CompiledQuery
from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.users.models import Membership, Role, User

# Records a member can own; removing the member reassigns or clears them, one UPDATE per model.
OWNED_MODELS: tuple[tuple[str, type[Company] | type[Person] | type[Deal]], ...] = (
    ("companies", Company),
    ("persons", Person),
    ("deals", Deal),
)


def membership_list(*, account: Account) -> QuerySet[Membership]:
    return Membership.objects.for_account(account).select_related("user").order_by("user__full_name", "user__email")


def membership_get(*, account: Account, membership_id: int) -> Membership:
    """One membership of `account`; NotFound whether it is missing or belongs to another account."""
    membership = Membership.objects.for_account(account).select_related("user").filter(pk=membership_id).first()
    if membership is None:
        raise NotFound(_("Not found."))  # the API says this to the caller
    return membership


def account_users(*, account: Account) -> QuerySet[User]:
    """Users who may own records in `account`: its current members."""
    return User.objects.filter(memberships__account=account, is_active=True).order_by("full_name", "email")


# The owner filter of every record list and of the statistics runs it: compiled once (see core.compiled).
_ACCOUNT_USERS: CompiledQuery[User] = CompiledQuery(
    lambda account_id: account_users(account=Account(pk=account_id)), account_id=int
)


def account_user_list(*, account: Account) -> list[User]:
    """`account_users` as a list."""
    return _ACCOUNT_USERS(account_id=account.pk)


def reassign_candidates(*, account: Account, leaving: User) -> QuerySet[User]:
    """Who can take over a leaving member's records: the other admins and members (viewers cannot edit)."""
    editors = Membership.objects.for_account(account).exclude(role=Role.VIEWER).values("user_id")
    return User.objects.filter(pk__in=editors, is_active=True).exclude(pk=leaving.pk).order_by("full_name", "email")


def member_owned_counts(*, account: Account, user: User) -> dict[str, int]:
    """How many records `user` owns in `account`, per model: shown before removing them."""
    return {key: model.objects.for_account(account).filter(owner=user).count() for key, model in OWNED_MODELS}


def user_memberships(*, user: User) -> QuerySet[Membership]:
    """The accounts `user` belongs to (every account, so `unscoped` on purpose), by account name."""
    return (
        Membership.unscoped.filter(user=user, user__is_active=True)
        .select_related("account")
        .order_by("account__name", "account__slug")
    )


def users_with_other_accounts(*, account: Account) -> set[int]:
    """Ids of this account's members who also belong to another account (their invitations are not ours to renew)."""
    members = Membership.objects.for_account(account).values("user_id")
    return set(
        Membership.unscoped.filter(user_id__in=members).exclude(account=account).values_list("user_id", flat=True)
    )
