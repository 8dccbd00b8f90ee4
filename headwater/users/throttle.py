"""Login throttling: after too many failed log-ins for one e-mail from one address, refuse for a while.

Failures are counted in Django's cache under a hash of (e-mail, client IP), in a fixed window that starts at the
first failure; a successful log-in clears the count. With a per-process cache (locmem, the default) each worker
counts on its own: production with several workers should point `CACHE_URL` at a shared cache (e.g. Redis).
The client IP is REMOTE_ADDR: behind a proxy, have the proxy set it (never trust X-Forwarded-For blindly).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _limit() -> int:
    return int(getattr(settings, "LOGIN_THROTTLE_FAILURES", 10))


def window_seconds() -> int:
    return int(getattr(settings, "LOGIN_THROTTLE_WINDOW_SECONDS", 15 * 60))


def _key(email: str, request: HttpRequest) -> str:
    ip = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.sha256(f"{email.strip().lower()}|{ip}".encode()).hexdigest()
    return f"login-failures:{digest}"


def login_is_throttled(*, email: str, request: HttpRequest) -> bool:
    return int(cache.get(_key(email, request), 0)) >= _limit()


def login_failure_record(*, email: str, request: HttpRequest) -> int:
    key = _key(email, request)
    # add() leaves an existing count (and its expiry) alone, so the window runs from the first failure.
    cache.add(key, 0, timeout=window_seconds())
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window_seconds())
        return 1


def login_failures_reset(*, email: str, request: HttpRequest) -> None:
    cache.delete(_key(email, request))
