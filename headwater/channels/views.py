"""Account settings > Channels (admins only, reads included): add, rename, reorder, delete with a target channel.

Plain POSTs followed by a redirect (with a message), so every action works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from headwater.channels import selectors, services
from headwater.channels.forms import AddChannelForm, DeleteChannelForm, RenameChannelForm
from headwater.channels.models import Channel
from headwater.core.bidi import with_names
from headwater.core.errors import DomainError, NotFound
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role


def _channel(request: AccountRequest, channel_id: int) -> Channel:
    try:
        return selectors.channel_get(account=request.account, channel_id=channel_id)
    except NotFound as exc:
        raise Http404 from exc


def _settings_url(request: AccountRequest) -> str:
    return reverse("channels:settings", kwargs={"account_slug": request.account.slug})


def _form_error(form: Any, error: DomainError) -> None:
    placed = False
    for field, errors in error.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _page(
    request: AccountRequest,
    *,
    add_form: AddChannelForm | None = None,
    rename_form: RenameChannelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    channels = list(selectors.channel_list(account=request.account))
    counts = selectors.channel_source_counts(account=request.account)
    rows = [
        {
            "channel": channel,
            "sources": counts.get(channel.pk, 0),
            "form": rename_form
            if rename_form is not None and rename_form.prefix == f"rename-{channel.pk}"
            else RenameChannelForm(channel=channel),
        }
        for channel in channels
    ]
    context = {
        "settings_tab": "channels",
        "rows": rows,
        "unassigned": counts.get(None, 0),
        "add_form": add_form or AddChannelForm(),
    }
    return render(request, "channels/settings.html", context, status=status)


@account_view(read=Role.ADMIN, write=None)
@require_GET
def channel_settings(request: AccountRequest) -> HttpResponse:
    return _page(request)


@account_view(read=None, write=Role.ADMIN)
@require_POST
def channel_add(request: AccountRequest) -> HttpResponse:
    form = AddChannelForm(request.POST)
    if form.is_valid():
        try:
            channel = services.channel_create(
                account=request.account, user=request.user, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, with_names(_("Channel “%(name)s” added."), name=channel.name))
            return redirect(_settings_url(request))
    return _page(request, add_form=form, status=400)


@account_view(read=None, write=Role.ADMIN)
@require_POST
def channel_rename(request: AccountRequest, channel_id: int) -> HttpResponse:
    channel = _channel(request, channel_id)
    form = RenameChannelForm(request.POST, channel=channel)
    if form.is_valid():
        try:
            renamed = services.channel_rename(
                account=request.account, user=request.user, channel=channel, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, with_names(_("Channel renamed to “%(name)s”."), name=renamed.name))
            return redirect(_settings_url(request))
    return _page(request, rename_form=form, status=400)


@account_view(read=None, write=Role.ADMIN)
@require_POST
def channel_move(request: AccountRequest, channel_id: int) -> HttpResponse:
    channel = _channel(request, channel_id)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        messages.error(request, _("Choose up or down."))
        return redirect(_settings_url(request))
    services.channel_move(account=request.account, user=request.user, channel=channel, direction=direction)
    return redirect(f"{_settings_url(request)}#channel-{channel.pk}")


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def channel_delete(request: AccountRequest, channel_id: int) -> HttpResponse:
    """Ask where the channel's sources go (another channel, or none), then delete it."""
    channel = _channel(request, channel_id)
    form = DeleteChannelForm(request.POST or None, account=request.account, channel=channel)
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.channel_delete(
                account=request.account, user=request.user, channel=channel, target=form.cleaned_data["target"]
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            notice = ngettext(
                "Channel “%(name)s” deleted; %(count)d source moved.",
                "Channel “%(name)s” deleted; %(count)d sources moved.",
                moved,
            )
            messages.success(request, with_names(notice, name=channel.name, count=moved))
            return redirect(_settings_url(request))
    count = selectors.channel_source_counts(account=request.account).get(channel.pk, 0)
    context = {"settings_tab": "channels", "channel": channel, "form": form, "count": count}
    return render(request, "channels/delete.html", context, status=400 if request.method == "POST" else 200)
