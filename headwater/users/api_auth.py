"""API authentication (personal bearer tokens), the per-token rate limit, and role checks for handlers.

`request.auth` is the token's `Membership`, loaded fresh on every request: a role change applies at once and a
removed member's tokens stop working (the membership, and with it the tokens, are gone).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from headwater.core.errors import PermissionDenied
from headwater.users.access import has_role
from headwater.users.models import Membership, Role
from headwater.users.token_services import api_token_authenticate

if TYPE_CHECKING:
    from headwater.core.models import Account
    from headwater.users.models import ApiToken, User

RATE_WINDOW_SECONDS = 60


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Membership | None:
        # ninja's HttpBearer logs the whole Authorization header when DEBUG is on and the scheme is not "Bearer":
        # a Basic password or a token pasted with the wrong scheme would land in the logs. Parse it here, quietly.
        scheme, _sep, token = str(request.headers.get(self.header, "")).partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        found = api_token_authenticate(token.strip())
        if found is None:
            return None
        api_token, membership = found
        request.api_token = api_token  # type: ignore[attr-defined]  # read by the rate limit below
        return membership


class TokenRateThrottle(BaseThrottle):
    """A fixed one-minute window per token, counted in Django's cache (`API_RATE_LIMIT_PER_MINUTE`)."""

    def __init__(self) -> None:
        # ninja asks wait() right after a refusal, on the same thread; one instance serves all threads.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        api_token: ApiToken | None = getattr(request, "api_token", None)
        limit = int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 600))
        if api_token is None or limit <= 0:
            return True
        now = time.time()
        window = int(now // RATE_WINDOW_SECONDS)
        key = f"api-rate:{api_token.pk}:{window}"
        # add() is a no-op when the key exists; incr() is atomic in every cache backend Django ships.
        cache.add(key, 0, timeout=RATE_WINDOW_SECONDS * 2)
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=RATE_WINDOW_SECONDS * 2)
            count = 1
        if count > limit:
            self._local.wait = (window + 1) * RATE_WINDOW_SECONDS - now
            return False
        return True

    def wait(self) -> float | None:
        return max(1.0, float(getattr(self._local, "wait", 1.0)))


def membership_of(request: HttpRequest) -> Membership:
    membership = getattr(request, "auth", None)
    if not isinstance(membership, Membership):
        # Every operation but the docs requires the token auth, so this is a programming error, not a client's.
        raise RuntimeError("API operation reached without token authentication")
    return membership


def account_of(request: HttpRequest) -> Account:
    return membership_of(request).account


def user_of(request: HttpRequest) -> User:
    return membership_of(request).user


def require_role(request: HttpRequest, role: Role) -> Membership:
    membership = membership_of(request)
    if not has_role(membership, role):
        if role == Role.ADMIN:
            raise PermissionDenied(_("Only an admin of this account can do this."))
        raise PermissionDenied(_("Your role (viewer) can read but not change anything."))
    return membership
