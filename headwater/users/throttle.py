"""Throttles counted in Django's cache: failed log-ins, sign-ups, invitation and confirmation e-mails.

Each counts attempts under a hash of what it is keyed on, in a fixed window that starts at the first attempt. With a
per-process cache (locmem, the default) each worker counts on its own: production with several workers should point
`CACHE_URL` at a shared cache (e.g. Redis). The client IP is REMOTE_ADDR: behind a proxy, have the proxy set it
(never trust X-Forwarded-For blindly).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _key(scope: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{scope}:{digest}"


def _count(key: str, window: int) -> int:
    # add() leaves an existing count (and its expiry) alone, so the window runs from the first attempt.
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)
        return 1


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


# --- Log-in: LOGIN_THROTTLE_FAILURES failures per e-mail and IP in LOGIN_THROTTLE_WINDOW_SECONDS -----------------


def _login_key(email: str, request: HttpRequest) -> str:
    return _key("login-failures", email.strip().lower(), _ip(request))


def window_seconds() -> int:
    return _setting("LOGIN_THROTTLE_WINDOW_SECONDS", 15 * 60)


def login_is_throttled(*, email: str, request: HttpRequest) -> bool:
    return int(cache.get(_login_key(email, request), 0)) >= _setting("LOGIN_THROTTLE_FAILURES", 10)


def login_failure_record(*, email: str, request: HttpRequest) -> int:
    return _count(_login_key(email, request), window_seconds())


def login_failures_reset(*, email: str, request: HttpRequest) -> None:
    cache.delete(_login_key(email, request))


# --- Sign-up: SIGNUP_THROTTLE_PER_IP per IP and SIGNUP_THROTTLE_PER_EMAIL per address in the window ---------------


def signup_window_seconds() -> int:
    return _setting("SIGNUP_THROTTLE_WINDOW_SECONDS", 3600)


def signup_allowed(*, email: str, request: HttpRequest) -> bool:
    """Count one sign-up; False when this IP or this address is over its limit. Every address counts alike
    (registered, invited or free), so the limit says nothing about who has a login."""
    window = signup_window_seconds()
    by_ip = _count(_key("signup-ip", _ip(request)), window)
    by_email = _count(_key("signup-email", email.strip().lower()), window)
    return by_ip <= _setting("SIGNUP_THROTTLE_PER_IP", 20) and by_email <= _setting("SIGNUP_THROTTLE_PER_EMAIL", 3)


# --- E-mails on behalf of an account or a user ------------------------------------------------------------------


def invitation_mail_allowed(*, account_id: int) -> bool:
    """Count one invitation e-mail of an account: INVITATION_THROTTLE_PER_HOUR per account, so an account cannot
    use us to mail strangers in bulk."""
    return _count(_key("invitation-mail", str(account_id)), 3600) <= _setting("INVITATION_THROTTLE_PER_HOUR", 50)


def confirmation_mail_allowed(*, user_id: int) -> bool:
    """One address-confirmation e-mail per user in EMAIL_CONFIRM_RESEND_SECONDS, however often they try to log in."""
    return _count(_key("confirm-mail", str(user_id)), _setting("EMAIL_CONFIRM_RESEND_SECONDS", 300)) <= 1
