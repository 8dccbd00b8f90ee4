"""Personal API tokens: create (the secret is returned once), revoke, authenticate.

A token belongs to one membership, so it acts in one account with that member's *current* role. Only the SHA-256
hash of the secret is stored; `prefix` (the secret's first characters) lets its owner recognise it in a list.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.core.compiled import CompiledQuery
from headwater.core.errors import NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import clean_name
from headwater.users.models import ApiToken, Membership, User

TOKEN_MARK = "hw_"  # noqa: S105 — a public marker that makes leaked tokens easy to find, not a secret
PREFIX_LENGTH = 11
NAME_MAX_LENGTH = 100
# `last_used_at` is a hint for the owner, not an audit log: refresh it at most this often, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def api_token_create(*, account: Account, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`'s membership in `account`; returns it with the secret, which is never stored."""
    membership = Membership.objects.for_account(account).filter(user=user, user__is_active=True).first()
    if membership is None:
        raise NotFound(_("You are not a member of this account."))
    name = clean_name(name, field="name", required=_("Give the token a name, e.g. the script or tool that uses it."))
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed.on("name", _("The name can have at most %(max)d characters.") % {"max": NAME_MAX_LENGTH})
    secret = TOKEN_MARK + secrets.token_urlsafe(32)
    token = ApiToken.unscoped.create(
        account=account, membership=membership, name=name, prefix=secret[:PREFIX_LENGTH], key_hash=token_hash(secret)
    )
    return token, secret


def api_token_revoke(*, account: Account, user: User, token: ApiToken) -> ApiToken:
    """Revoke one of `user`'s own tokens; the row stays (with `revoked_at`) so its prefix can be traced."""
    if token.account_id != account.pk or token.membership.user_id != user.pk:
        raise NotFound(_("Not found."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.for_account(account).filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's active tokens in every account they belong to (the profile page spans accounts)."""
    return (
        ApiToken.unscoped.filter(membership__user=user, revoked_at__isnull=True)
        .select_related("account")
        .order_by("account__name", "-created_at", "-id")
    )


def api_token_for_user(*, user: User, token_id: int) -> ApiToken:
    token = (
        ApiToken.unscoped.filter(pk=token_id, membership__user=user, revoked_at__isnull=True)
        .select_related("account", "membership")
        .first()
    )
    if token is None:
        raise NotFound(_("Not found."))
    return token


# The account is not known yet: the token is what names it, so this lookup is by its unique hash alone. Every API
# request runs it: compiled once (see core.compiled).
_ACTIVE_TOKEN: CompiledQuery[ApiToken] = CompiledQuery(
    lambda key_hash: ApiToken.unscoped.filter(key_hash=key_hash, revoked_at__isnull=True).select_related(
        "membership__user", "membership__account"
    ),
    key_hash=str,
)


def api_token_authenticate(secret: str) -> tuple[ApiToken, Membership] | None:
    """The token and its member's current membership, or None (unknown, revoked, member removed, user inactive)."""
    if not secret.startswith(TOKEN_MARK) or len(secret) > 200:
        return None
    found = _ACTIVE_TOKEN(key_hash=token_hash(secret))
    if not found:
        return None
    token = found[0]
    membership = token.membership
    if not membership.user.is_active or membership.account_id != token.account_id:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.unscoped.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token, membership
