"""Request-wide rules: the language, the session's idle timeout, and what no cache may keep."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _

_LANGUAGES = frozenset(code for code, _name in settings.LANGUAGES)

# The session key holding when the user was last seen (Unix seconds); set at log-in, refreshed while active.
LAST_SEEN_KEY = "headwater.last_seen"


def idle_timeout_seconds() -> int:
    return int(getattr(settings, "SESSION_IDLE_TIMEOUT_SECONDS", 2 * 3600))


class LanguageMiddleware:
    """One language for every page, whatever the account: the choice made with the header switcher (the
    `django_language` cookie), else the logged-in user's stored choice, else the browser's (`Accept-Language`).

    The switcher stores the choice with the user's login too (`User.language`, first taken at their first log-in
    from what they were reading), so a browser without the cookie, or the log-in page after they log out, follows
    it: the cookie is set from it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Each request starts in UTC; account pages switch to the account's zone (users.access.account_view).
        timezone.deactivate()
        chosen_here = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in _LANGUAGES
        language = ("" if chosen_here else self._users_choice(request)) or translation.get_language_from_request(
            request, check_path=False
        )
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language() or settings.LANGUAGE_CODE)
        # After the view, so a log-in in this request counts.
        stored = self._users_choice(request)
        if stored and not chosen_here:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                stored,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]  # a setting: Lax here
            )
        return response

    @staticmethod
    def _users_choice(request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        language = str(getattr(user, "language", ""))
        return language if language in _LANGUAGES else ""


class SessionIdleMiddleware:
    """Log out a session unused for SESSION_IDLE_TIMEOUT_SECONDS, and one whose user has not confirmed their
    address (a session from before addresses were confirmed).

    The last-seen time is written at most once a minute (or a tenth of the timeout), not on every request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    @staticmethod
    def _check(request: HttpRequest, user: object) -> None:
        now = int(time.time())
        timeout = idle_timeout_seconds()
        seen = request.session.get(LAST_SEEN_KEY)
        if not getattr(user, "email_confirmed", False):
            logout(request)
            messages.info(request, _("Confirm your e-mail address: log in again and we send you a link."))
        elif isinstance(seen, int) and now - seen > timeout:
            logout(request)
            messages.info(
                request,
                _("You were logged out after %(minutes)d minutes without activity. Log in again.")
                % {"minutes": timeout // 60},
            )
        elif not isinstance(seen, int) or now - seen >= max(1, min(60, timeout // 10)):
            request.session[LAST_SEEN_KEY] = now


def session_start(request: HttpRequest) -> None:
    """At log-in: the idle clock starts now."""
    request.session[LAST_SEEN_KEY] = int(time.time())


class PrivateResponseMiddleware:
    """Nothing we answer may be stored by a browser or proxy cache (logged-in pages, API answers, exports, a new
    token's secret), and a URL that answers a page or an htmx fragment says it varies on HX-Request. Static files
    are served before this (WhiteNoise) and keep their own caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        patch_vary_headers(response, ("HX-Request",))
        return response
