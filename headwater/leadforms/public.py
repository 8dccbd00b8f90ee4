"""The public side of a lead form: the hosted page (`/f/<key>`, no JavaScript needed), the intake endpoint embedded
forms post to (`/f/<key>/submit`, CORS for the form's websites), the form's description for the embed script
(`/f/<key>/form.json`) and the script itself (`/f/embed.js`).

No session and no CSRF cookie: a visitor is nobody we know, and a forged submission gains an attacker nothing a
direct one would not. What guards the form is the signed fill token (when it was shown: a bot that posts at once is
refused), the honeypot field, the size and length limits and the rate limit.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from headwater.core.api_errors import error_body
from headwater.leadforms import selectors, services
from headwater.leadforms.models import LeadForm

BODY_LIMIT = 1024 * 1024  # a lead is a few hundred bytes; anything near a megabyte is not one
LANGUAGES = {code for code, _name in settings.LANGUAGES}
EMBED_JS = Path(__file__).parent / "static" / "leadforms" / "embed.js"


def _form(key: str) -> LeadForm:
    form = selectors.public_form(key=key)
    if form is None:
        raise Http404
    return form


def _language(request: HttpRequest) -> str:
    """`?lang=pl` (the page's switch) wins over the visitor's browser (`Accept-Language`, set by the middleware)."""
    chosen = request.GET.get("lang", "")
    if chosen in LANGUAGES:
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen
    return translation.get_language() or settings.LANGUAGE_CODE


def _origin(request: HttpRequest) -> str:
    return str(request.headers.get("Origin", ""))


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _origin_allowed(request: HttpRequest, form: LeadForm, *, own: bool) -> bool:
    """No Origin (a server, curl, an old browser): CORS protects browsers only, so it is allowed; the rate limit
    still applies. A browser's Origin must be one of the form's websites (or, for the hosted page, our own)."""
    origin = _origin(request)
    if not origin:
        return True
    return origin in form.allowed_origins or (own and origin == _own_origin(request))


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _too_big(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > BODY_LIMIT
    except ValueError:
        return True


# --- The hosted page ------------------------------------------------------------------------------------------


def _page(
    request: HttpRequest,
    form: LeadForm,
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    token: str | None = None,
    status: int = 200,
) -> HttpResponse:
    language = _language(request)
    asked = form.asked()
    other = "pl" if language == "en" else "en"
    query = {key: value for key, value in request.GET.items() if key != "lang"}
    context = {
        "form": form,
        "fields": [
            {
                "key": key,
                "label": label,
                "required": required,
                "value": values.get(key, ""),
                "errors": (errors or {}).get(key, []),
                "type": {"email": "email", "phone": "tel", "website": "url"}.get(key, "text"),
                "autocomplete": {
                    "first_name": "given-name",
                    "last_name": "family-name",
                    "email": "email",
                    "phone": "tel",
                    "position": "organization-title",
                    "company": "organization",
                    "website": "url",
                }.get(key, "off"),
            }
            for key, label, required, _limit in asked
        ],
        "answers": list(enumerate(answer["label"] for answer in form.answers)) if form.how_heard else [],
        "picked": str(values.get("how_heard", "")),
        "consent": bool(values.get("consent")),
        "errors": errors or {},
        "general_errors": (errors or {}).get("__all__", []),
        "token": token or services.fill_token(form),
        "facts": [(name, values.get(name, "")) for name in services.FACT_FIELDS],
        "honeypot": services.HONEYPOT,
        "switch_url": "?" + urlencode({**query, "lang": other}),
        "switch_language": other,
        "action": reverse("leadforms_public:hosted", kwargs={"key": form.public_key}) + "?lang=" + language,
    }
    response = render(request, "leadforms/hosted.html", context, status=status)
    if form.redirect_url:
        # A browser applies the page's form-action to the redirect that follows the POST too.
        parts = urlsplit(form.redirect_url)
        response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}  # type: ignore[attr-defined]  # read by django-csp
    return response


def _landing(request: HttpRequest) -> dict[str, str]:
    """What the visit brought, on the hosted page itself: its own address (with the ?utm_… part) and referrer."""
    query = {key: str(value) for key, value in request.GET.items() if key != "lang"}
    landing = request.build_absolute_uri(request.path) + ("?" + urlencode(query) if query else "")
    facts = {"landing_url": landing, "referrer": str(request.headers.get("Referer", ""))}
    return {**facts, **{key: value for key, value in query.items() if key in services.FACT_FIELDS}}


def _hosted_refusal(request: HttpRequest, form: LeadForm) -> HttpResponse | None:
    if _too_big(request):
        return _page(request, form, values={}, errors={"__all__": [_("The form sent too much data.")]}, status=413)
    if not _origin_allowed(request, form, own=True):
        errors = {"__all__": [_("This website may not send this form.")]}
        return _page(request, form, values={}, errors=errors, status=403)
    if not services.intake_allowed(form=form, address=_address(request)):
        errors = {"__all__": [_("Too many submissions from here just now. Wait a minute and send the form again.")]}
        return _page(request, form, values=dict(request.POST.items()), errors=errors, status=429)
    return None


@csrf_exempt
def hosted(request: HttpRequest, key: str) -> HttpResponse:
    form = _form(key)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    if request.method != "POST":
        return _page(request, form, values=_landing(request))
    _language(request)
    refusal = _hosted_refusal(request, form)
    if refusal is not None:
        return refusal
    values = dict(request.POST.items())
    try:
        services.form_submit(form=form, data=values)
    except services.SubmissionRefused as exc:
        # A token that was only too early stays: the visitor may send again at once once enough time has passed.
        token = request.POST.get(services.TOKEN_FIELD, "")
        keep = token if services.token_was_early(form, token) else None
        return _page(request, form, values=values, errors=exc.fields, token=keep, status=422)
    if form.redirect_url:
        return HttpResponseRedirect(form.redirect_url, status=303)
    thanks = reverse("leadforms_public:thanks", kwargs={"key": form.public_key})
    return HttpResponseRedirect(f"{thanks}?lang={translation.get_language()}", status=303)


def thanks(request: HttpRequest, key: str) -> HttpResponse:
    form = _form(key)
    _language(request)
    return render(request, "leadforms/thanks.html", {"form": form})


# --- The intake endpoint and the embed script -----------------------------------------------------------------


def _json(request: HttpRequest, body: dict[str, Any], status: int, *, any_origin: bool = False) -> JsonResponse:
    response = JsonResponse(body, status=status)
    origin = _origin(request)
    if origin:
        # A refusal of the origin itself is readable by any site, so its script can say why; nothing else is.
        response["Access-Control-Allow-Origin"] = origin if not any_origin else "*"
        response["Vary"] = "Origin"
    return response


def _error(
    request: HttpRequest, status: int, code: str, message: str, fields: Any = None, **kwargs: Any
) -> JsonResponse:
    return _json(request, error_body(code, message, fields), status, **kwargs)


def _preflight(request: HttpRequest, form: LeadForm) -> HttpResponse:
    if not _origin_allowed(request, form, own=False):
        return _error(request, 403, "origin_refused", _("This website may not send this form."), any_origin=True)
    response = HttpResponse(status=204)
    if _origin(request):
        response["Access-Control-Allow-Origin"] = _origin(request)
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def _parse(request: HttpRequest) -> dict[str, Any] | None:
    content_type = str(request.content_type or "")
    if content_type == "application/json":
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        return data if isinstance(data, dict) else None
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return dict(request.POST.items())
    return None


def _intake_refusal(request: HttpRequest, form: LeadForm) -> HttpResponse | None:
    """Why the intake refuses the request before reading it (method, website, size, rate), or None."""
    if request.method != "POST":
        response = _error(request, 405, "method_not_allowed", _("Send the form with POST."))
        response["Allow"] = "POST, OPTIONS"
        return response
    if not _origin_allowed(request, form, own=False):
        return _error(request, 403, "origin_refused", _("This website may not send this form."), any_origin=True)
    if _too_big(request):
        message = _("The form sent too much data (the limit is 1 MB).")
        return _error(request, 413, "too_large", message, {"body": [message]})
    if not services.intake_allowed(form=form, address=_address(request)):
        message = _("Too many submissions from here just now. Wait a minute and send the form again.")
        response = _error(request, 429, "rate_limited", message)
        response["Retry-After"] = "60"
        return response
    return None


@csrf_exempt
def submit(request: HttpRequest, key: str) -> HttpResponse:
    form = _form(key)
    _language(request)
    if request.method == "OPTIONS":
        return _preflight(request, form)
    refusal = _intake_refusal(request, form)
    if refusal is not None:
        return refusal
    data = _parse(request)
    if data is None:
        message = _("Send the form as JSON (an object) or form-encoded.")
        return _error(request, 400, "bad_request", message, {"body": [message]})
    try:
        services.form_submit(form=form, data=data)
    except services.SubmissionRefused as exc:
        return _error(request, 422, "validation_error", exc.message, exc.fields)
    body = {
        "ok": True,
        "message": form.thank_you or _("Thank you! We will be in touch."),
        "redirect": form.redirect_url,
    }
    return _json(request, body, 200)


def description(request: HttpRequest, key: str) -> HttpResponse:
    """What the embed script needs to draw the form, in the visitor's language, with a fresh fill token."""
    form = _form(key)
    _language(request)
    if request.method == "OPTIONS":
        return _preflight(request, form)
    if not _origin_allowed(request, form, own=False):
        return _error(request, 403, "origin_refused", _("This website may not send this form."), any_origin=True)
    fields = [
        {
            "name": key_,
            "label": label,
            "required": required,
            "type": {"email": "email", "phone": "tel", "website": "url", "message": "textarea"}.get(key_, "text"),
        }
        for key_, label, required, _limit in form.asked()
    ]
    body = {
        "token": services.fill_token(form),
        "submit_url": request.build_absolute_uri(reverse("leadforms_public:submit", kwargs={"key": form.public_key})),
        "fields": fields,
        "how_heard": (
            {"label": _("How did you hear about us?"), "answers": [a["label"] for a in form.answers]}
            if form.how_heard and form.answers
            else None
        ),
        "consent_text": form.consent_text,
        "honeypot": services.HONEYPOT,
        "texts": {
            "send": _("Send"),
            "sending": _("Sending…"),
            "choose": _("Choose…"),
            "required": _("required"),
            "failed": _("The form could not be sent. Check your connection and try again."),
            "honeypot": _("Leave this field empty"),
        },
    }
    return _json(request, body, 200)


@cache
def _embed_source() -> bytes:
    return EMBED_JS.read_bytes()


def embed_js(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_embed_source(), content_type="text/javascript; charset=utf-8")
    # Loaded by other sites' pages (as a script, which needs no CORS), even under a cross-origin isolation policy.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
