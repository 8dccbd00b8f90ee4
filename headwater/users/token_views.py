"""The API-token panel of the profile page: list, create (the secret is shown once), revoke.

The panel is a fragment loaded into /me/ by htmx, and a page of its own at /me/api-tokens/ without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from headwater.core.errors import DomainError, NotFound
from headwater.users.models import User
from headwater.users.token_forms import ApiTokenForm
from headwater.users.token_services import (
    api_token_create,
    api_token_for_user,
    api_token_list_for_user,
    api_token_revoke,
)


def _render(request: HttpRequest, user: User, form: ApiTokenForm, **extra: Any) -> HttpResponse:
    context = {"tokens": api_token_list_for_user(user=user), "token_form": form, **extra}
    template = "users/_api_tokens_panel.html" if request.htmx else "users/api_tokens.html"  # type: ignore[attr-defined]  # django-htmx's middleware sets it
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # login_required guarantees a real user  # login_required guarantees a real user
    form = ApiTokenForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = api_token_create(
                account=form.cleaned_data["account"], user=user, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            # The secret goes into this one response and nowhere else: no redirect, no session, no log.
            return _render(request, user, ApiTokenForm(user=user), new_token=token, new_secret=secret)
    return _render(request, user, form)


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # login_required guarantees a real user
    try:
        token = api_token_for_user(user=user, token_id=pk)
        api_token_revoke(account=token.account, user=user, token=token)
    except NotFound as exc:
        raise Http404 from exc
    if request.htmx:  # type: ignore[attr-defined]  # django-htmx's middleware sets it
        return _render(request, user, ApiTokenForm(user=user), revoked=token)
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return redirect("users:api_tokens")
