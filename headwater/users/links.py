"""The links we e-mail: sign-up confirmation, address confirmation and invitations.

Owning an address is proven by opening a link sent to it. Sign-up and address-confirmation links are signed
(Django's `TimestampSigner` with `SECRET_KEY`) and expire; they carry what they confirm, so sign-up stores nothing
until the link is opened. An invitation link carries a random secret of which only a SHA-256 hash is stored on the
invitation: renewing the link replaces the hash and revoking deletes the row, so earlier links stop working.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from headwater.core.errors import DomainError

_SIGNUP_SALT = "headwater.users.signup"
_CONFIRM_SALT = "headwater.users.email-confirm"


class LinkInvalid(DomainError):
    """A link that is tampered with, expired, already used, renewed or revoked."""

    code = "link_invalid"
    status = 400


def signup_link_max_age() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "SIGNUP_LINK_MAX_AGE_SECONDS", 2 * 24 * 3600)))


def invitation_max_age() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "INVITATION_MAX_AGE_SECONDS", 7 * 24 * 3600)))


def secret_make() -> tuple[str, str]:
    """A random secret for a link, and the hash to store instead of it."""
    secret = secrets.token_urlsafe(32)
    return secret, secret_hash(secret)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SignupClaim:
    """What a sign-up link confirms: the address, and the name and language typed with it."""

    email: str
    full_name: str
    language: str


def signup_token_make(*, email: str, full_name: str, language: str) -> str:
    return signing.TimestampSigner(salt=_SIGNUP_SALT).sign_object(
        {"e": email, "n": full_name, "l": language}, compress=True
    )


def _unsign(token: str, *, salt: str, max_age: timedelta) -> dict[str, object]:
    try:
        data = signing.TimestampSigner(salt=salt).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkInvalid(_("This link has expired. Ask for a new one.")) from exc
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise LinkInvalid(_("This link is not valid. Check that you copied all of it.")) from exc
    if not isinstance(data, dict):
        raise LinkInvalid(_("This link is not valid. Check that you copied all of it."))
    return data


def signup_token_read(token: str) -> SignupClaim:
    """The claim a sign-up link carries; LinkInvalid when it is tampered with or expired."""
    data = _unsign(token, salt=_SIGNUP_SALT, max_age=signup_link_max_age())
    email, full_name, language = data.get("e"), data.get("n"), data.get("l")
    if not (isinstance(email, str) and isinstance(full_name, str) and isinstance(language, str)):
        raise LinkInvalid(_("This link is not valid. Check that you copied all of it."))
    return SignupClaim(email=email, full_name=full_name, language=language)


def confirm_token_make(*, user_id: int, email: str) -> str:
    return signing.TimestampSigner(salt=_CONFIRM_SALT).sign_object({"u": user_id, "e": email})


def confirm_token_read(token: str) -> tuple[int, str]:
    """(user id, address) of an address-confirmation link; LinkInvalid when tampered with or expired."""
    data = _unsign(token, salt=_CONFIRM_SALT, max_age=signup_link_max_age())
    user_id, email = data.get("u"), data.get("e")
    if not isinstance(user_id, int) or not isinstance(email, str):
        raise LinkInvalid(_("This link is not valid. Check that you copied all of it."))
    return user_id, email
