"""API authentication (personal bearer tokens), the per-token rate limit, and the routers' role checks.

`request.auth` is the token's `Membership`, loaded fresh on every request: a role change applies at once and a
removed member's tokens stop working (the membership, and with it the tokens, are gone).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from headwater.core.errors import PermissionDenied
from headwater.users.access import SAFE_METHODS, has_role
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


def _refuse(role: Role) -> PermissionDenied:
    if role == Role.ADMIN:
        return PermissionDenied(_("Only an admin of this account can do this."))
    return PermissionDenied(_("Your role (viewer) can read but not change anything."))


class AccountRouter(Router):
    """The operations of one account, with the role needed to read (GET, HEAD, OPTIONS) and the role needed to write
    (every other method) stated once for all of them, as `account_view` does for the pages.

    Both are required, and no handler checks a role itself: an operation added here is covered without a word.
    None means the router has no such operations: adding one fails when the module loads, not in production.
    The check runs where a check in the handler's first line ran (after the token, the rate limit and the input's
    validation), so answers stay what they were.
    """

    def __init__(self, *, read: Role | None, write: Role | None) -> None:
        super().__init__()
        self.read, self.write = read, write
        self.add_decorator(self._require_role, mode="operation")

    def _role_for(self, method: str) -> Role | None:
        return self.read if method.upper() in SAFE_METHODS else self.write

    def add_api_operation(self, path: str, methods: list[str], view_func: Callable[..., Any], **kwargs: Any) -> None:
        refused = [method for method in methods if self._role_for(method) is None]
        if refused:
            raise ImproperlyConfigured(
                f"{view_func.__name__}: {'/'.join(refused)} on a router that states no role for it (AccountRouter)"
            )
        super().add_api_operation(path, methods, view_func, **kwargs)

    def _require_role(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            role = self._role_for(str(request.method))
            if role is None or not has_role(membership_of(request), role):
                raise _refuse(role or Role.ADMIN)
            return handler(request, *args, **kwargs)

        return checked
