"""Reads about users, memberships, invitations and the accounts a user belongs to."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.core.compiled import CompiledQuery
from headwater.core.errors import NotFound
from headwater.core.models import Account, models_pointing_at
from headwater.users import links
from headwater.users.models import Invitation, InvitationStatus, Membership, Role, User


def owned_models() -> list[tuple[str, Any]]:
    """The records a member can own (companies, persons, deals), keyed by their app's label ("companies"): removing
    the member reassigns or clears them, one UPDATE per model.

    Every model whose `owner` points at the user, from Django's metadata: the record apps sit above this one. Each
    record kind is an app of its own, so the app label is the plural the counts have always been keyed by (in the
    API's answer too).
    """
    return [(model._meta.app_label, model) for model in models_pointing_at(User, field="owner")]


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
    return {key: model.objects.for_account(account).filter(owner=user).count() for key, model in owned_models()}


def user_memberships(*, user: User) -> QuerySet[Membership]:
    """The accounts `user` belongs to (every account, so `unscoped` on purpose), by account name."""
    return (
        Membership.unscoped.filter(user=user, user__is_active=True)
        .select_related("account")
        .order_by("account__name", "account__slug")
    )


def invitation_list(*, account: Account) -> QuerySet[Invitation]:
    """The account's invitations (pending, expired, declined), the latest sent first."""
    return Invitation.objects.for_account(account).order_by("-sent_at", "email")


def invitation_get(*, account: Account, invitation_id: int) -> Invitation:
    """One invitation of `account`; NotFound whether it is missing or belongs to another account."""
    invitation = Invitation.objects.for_account(account).filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound(_("Not found."))
    return invitation


def _for_address(user: User) -> QuerySet[Invitation]:
    # Invitations to one address come from any account: deliberately unscoped, filtered by the proven address.
    if not user.email_confirmed:
        return Invitation.unscoped.none()
    return Invitation.unscoped.filter(
        email=user.email.lower(), status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
    )


def invitations_for_user(*, user: User) -> list[Invitation]:
    """The pending invitations to `user`'s proven address, with the inviting account and admin."""
    return list(_for_address(user).select_related("account", "invited_by").order_by("-sent_at"))


def invitation_for_user_get(*, user: User, invitation_id: int) -> Invitation:
    """One pending invitation to `user`'s address; NotFound for any other (someone else's looks missing)."""
    invitation = _for_address(user).select_related("account").filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound(_("Not found."))
    return invitation


def invitation_by_token(*, token: str) -> Invitation:
    """The invitation a link names; LinkInvalid when the link was renewed, revoked, used, declined or has expired."""
    invitation = (
        Invitation.unscoped.select_related("account", "invited_by").filter(token_hash=links.secret_hash(token)).first()
    )
    if invitation is None or invitation.state == InvitationStatus.DECLINED:
        raise links.LinkInvalid(
            _(
                "This invitation link no longer works: it was used, replaced by a newer link or withdrawn. "
                "Ask an admin of the account for a new one."
            )
        )
    if invitation.state == InvitationStatus.EXPIRED:
        raise links.LinkInvalid(_("This invitation has expired. Ask an admin of the account for a new one."))
    return invitation


def signup_claim(*, token: str) -> links.SignupClaim:
    """What a sign-up link confirms; LinkInvalid when it is tampered with, expired, or the address has a user."""
    claim = links.signup_token_read(token)
    if User.objects.filter(email__iexact=claim.email).exists():
        raise links.LinkInvalid(_("This address already has a login: log in with it."))
    return claim


def address_has_user(*, email: str) -> bool:
    """Only for the owner of the address (who opened a link sent to it): whether to offer logging in or choosing a
    password. Never shown to an inviting account."""
    return User.objects.filter(email__iexact=email).exists()
