"""The answers Django gives when a view could not: 400, 403 (also a failed CSRF check), 404, 413 and 500.

Pages get the site's layout in the request's language with a way back; the API (`/api/...`) keeps its JSON error
shape. The 500 page renders without the database or the request's context processors (the database may be what
failed), and falls back to a fixed page if even that template cannot render (a missing static manifest, say).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from headwater.core.api_errors import API_PREFIX, error_response

logger = logging.getLogger(__name__)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def body_limit_text() -> str:
    """The upload limit as people say it: "2.5 MB"."""
    megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    return _("%(size)s MB") % {"size": f"{megabytes:.1f}".removesuffix(".0")}


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400, or 413 when the body is over the upload limit (Django reports both as a SuspiciousOperation)."""
    if isinstance(exception, RequestDataTooBig):
        message = _(
            "The request is larger than the limit of %(limit)s. Send less at once (for the API: fewer rows per bulk "
            "request)."
        ) % {"limit": body_limit_text()}
        status, code, title = 413, "too_large", _("Too much data")
    elif isinstance(exception, TooManyFieldsSent):
        message = _("The form sent too many fields at once. Send less at once.")
        status, code, title = 400, "bad_request", _("Bad request")
    else:
        message = _("The request could not be understood. Check the address, or go back and try again.")
        status, code, title = 400, "bad_request", _("Bad request")
    if _is_api(request):
        fields = {"body": [message]} if status == 413 else None
        return error_response(status, code, message, fields)
    return render(request, "400.html", {"title": title, "message": message}, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(403, "permission_denied", _("Your role does not allow this."))
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without (or with an expired) CSRF token: say what to do instead of Django's technical page."""
    if _is_api(request):
        return error_response(403, "permission_denied", _("The request was refused (CSRF check)."))
    return render(request, "403.html", {"csrf": True}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(404, "not_found", _("There is no such API endpoint or object."))
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return error_response(500, "server_error", _("Something went wrong on our side. The error was logged."))
    context = {"LANGUAGE_CODE": get_language() or settings.LANGUAGE_CODE}
    body: str
    try:
        # No request: the context processors would read the session, the user and their memberships.
        body = render_to_string("500.html", context)
    except Exception:  # the page of last resort must not fail in turn
        logger.exception("The 500 page could not be rendered; answering the plain fallback.")
        body = _fallback_page()
    return HttpResponse(body, status=500)


def _fallback_page() -> str:
    title = escape(_("Something went wrong"))
    text = escape(_("Something went wrong on our side. The error was logged. Try again in a moment."))
    back = escape(_("Go to the start page"))
    lang = escape(get_language() or settings.LANGUAGE_CODE)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} · Headwater</title></head>'
        f'<body><h1>{title}</h1><p>{text}</p><p><a href="/">{back}</a></p></body></html>'
    )
