"""One-time invitation links: a signed, expiring token that lets an invited user set a password.

We send no e-mail: the admin who adds someone copies the link and passes it on. The token carries the user's id
and a fingerprint of their password hash and last login, so it stops working as soon as it has been used (the
password changes) and cannot be forged or edited (the signature covers both).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from headwater.core.errors import DomainError
from headwater.users.models import User

_SALT = "headwater.users.invitation"
DEFAULT_MAX_AGE = timedelta(days=7)


class InvitationInvalid(DomainError):
    code = "invitation_invalid"
    status = 400


def invitation_max_age() -> timedelta:
    return timedelta(seconds=getattr(settings, "INVITATION_MAX_AGE_SECONDS", DEFAULT_MAX_AGE.total_seconds()))


def _fingerprint(user: User) -> str:
    state = f"{user.pk}|{user.password}|{user.last_login.isoformat() if user.last_login else ''}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def invitation_token_make(*, user: User) -> str:
    return signing.TimestampSigner(salt=_SALT).sign_object({"u": user.pk, "f": _fingerprint(user)}, compress=True)


def invitation_user(*, token: str) -> User:
    """The user a token invites; InvitationInvalid when it is tampered with, expired, used or the user is gone."""
    try:
        data = signing.TimestampSigner(salt=_SALT).unsign_object(token, max_age=invitation_max_age())
    except signing.SignatureExpired as exc:
        raise InvitationInvalid(
            _("This invitation link has expired. Ask an admin of your account for a new one.")
        ) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvitationInvalid(_("This invitation link is not valid. Check that you copied all of it.")) from exc
    user_id = data.get("u") if isinstance(data, dict) else None
    user = User.objects.filter(pk=user_id, is_active=True).first() if isinstance(user_id, int) else None
    if user is None or data.get("f") != _fingerprint(user):
        raise InvitationInvalid(
            _("This invitation link has already been used. Log in with your password, or ask an admin for a new link.")
        )
    return user
