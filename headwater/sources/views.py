# Long on purpose: one view per catalogue action, all sharing the htmx fragment and error helpers at the top.
"""Account settings > Acquisition sources (admins only, reads included).

Every action works as a plain POST followed by a redirect; with htmx the same view answers with the catalogue
fragment (and the history panel out of band), so the list refreshes without a full page load.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from headwater.channels.selectors import channel_list
from headwater.core.bidi import with_names
from headwater.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from headwater.core.types import UNSET
from headwater.sources import selectors, services
from headwater.sources.forms import (
    AddSourceForm,
    AliasForm,
    ClearForm,
    MergeForm,
    RenameForm,
    SourceChannelForm,
    SwitchesForm,
    add_domain_error,
)
from headwater.sources.models import Source, SourceAlias
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role

HISTORY_PAGE = 20
HISTORY_MAX_OFFSET = 10**9


def _is_htmx(request: AccountRequest) -> bool:
    # django-htmx's middleware sets `request.htmx` (falsy for ordinary requests).
    return bool(getattr(request, "htmx", False))


def _source(request: AccountRequest, source_id: int) -> Source:
    try:
        return selectors.source_get(account=request.account, source_id=source_id)
    except NotFound as exc:
        raise Http404 from exc


def _take_fresh_version(form: forms.Form, exc: DomainError, version: int) -> None:
    """After a Conflict the admin has seen the message: a second save (of what they typed, kept) may go through."""
    if isinstance(exc, Conflict):
        # Single-valued forms: the last value of each key is all there is.
        form.data = {**{key: form.data[key] for key in form.data}, form.add_prefix("version"): str(version)}


def _settings_url(request: AccountRequest) -> str:
    return reverse("sources:settings", kwargs={"account_slug": request.account.slug})


def _catalogue_context(
    request: AccountRequest,
    *,
    add_form: AddSourceForm | None = None,
    rename_form: RenameForm | None = None,
    editing: Source | None = None,
    notice: str = "",
    error: str = "",
    focus: tuple[int, str] | None = None,
) -> dict[str, Any]:
    rows = selectors.source_list_with_usage(account=request.account)
    return {
        "rows": rows,
        "channels": list(channel_list(account=request.account)),
        "add_form": add_form or AddSourceForm(),
        "rename_form": rename_form,
        "editing_id": editing.pk if editing else None,
        "notice": notice,
        "error": error,
        "last_index": len(rows) - 1,
        # The ↑/↓ button to focus after a move (htmx honours `autofocus` in swapped content): the row is
        # replaced, and a keyboard user pressing ↑ again must not have to find the button again.
        "focus_id": focus[0] if focus else None,
        "focus_direction": focus[1] if focus else "",
    }


def _aliases_context(
    request: AccountRequest,
    *,
    alias_form: AliasForm | None = None,
    edit_form: AliasForm | None = None,
    editing: SourceAlias | None = None,
    notice: str = "",
    error: str = "",
) -> dict[str, Any]:
    return {
        "aliases": list(selectors.source_alias_list(account=request.account)),
        "alias_form": alias_form or AliasForm(account=request.account),
        "alias_edit_form": edit_form,
        "editing_alias_id": editing.pk if editing else None,
        "alias_notice": notice,
        "alias_error": error,
    }


def _history_context(request: AccountRequest, *, limit: int = HISTORY_PAGE) -> dict[str, Any]:
    events = list(selectors.source_events(account=request.account, limit=limit + 1))
    return {"events": events[:limit], "history_next": limit if len(events) > limit else None}


def _page(
    request: AccountRequest,
    *,
    status: int = 200,
    switches: SwitchesForm | None = None,
    events: int | None = None,
    aliases: dict[str, Any] | None = None,
    **kwargs: Any,
) -> HttpResponse:
    try:
        wanted = int(request.GET.get("events", HISTORY_PAGE)) if events is None else events
    except ValueError:
        wanted = HISTORY_PAGE
    history_limit = max(HISTORY_PAGE, min(wanted, 1000))
    context = {
        "settings_tab": "sources",
        "switches": switches or SwitchesForm(account=request.account),
        **_catalogue_context(request, **kwargs),
        **_aliases_context(request, **(aliases or {})),
        **_history_context(request, limit=history_limit),
    }
    return render(request, "sources/settings.html", context, status=status)


def _catalogue(request: AccountRequest, **kwargs: Any) -> HttpResponse:
    """The catalogue fragment for htmx, the full page otherwise (form errors are shown in place)."""
    if not _is_htmx(request):
        return _page(request, **kwargs)
    context = {
        **_catalogue_context(request, **kwargs),
        # The aliases name the sources and offer them in a list: refreshed with the catalogue (out of band).
        **_aliases_context(request),
        **_history_context(request),
        "oob_history": True,
    }
    return render(request, "sources/_catalogue.html", context)


def _done(request: AccountRequest, notice: str, *, focus: tuple[int, str] | None = None) -> HttpResponse:
    """After a successful write: the fresh fragment (htmx) or a redirect with a message (plain POST)."""
    if _is_htmx(request):
        return _catalogue(request, notice=notice, focus=focus)
    messages.success(request, notice)
    url = _settings_url(request)
    return redirect(f"{url}#source-{focus[0]}" if focus else url)


def _failed(request: AccountRequest, error: DomainError) -> HttpResponse:
    if _is_htmx(request):
        return _catalogue(request, error=error.message)
    messages.error(request, error.message)
    return redirect(_settings_url(request))


# --- The page and its fragments -------------------------------------------------------------------------


@account_view(read=Role.ADMIN, write=None)
@require_GET
def source_settings(request: AccountRequest) -> HttpResponse:
    if _is_htmx(request):
        return _catalogue(request)
    return _page(request)


@account_view(read=Role.ADMIN, write=None)
@require_GET
def source_history(request: AccountRequest) -> HttpResponse:
    """More history rows for "Show more" (htmx appends them in place of the button); the whole page otherwise."""
    try:
        # Bounded: a 20-digit offset overflows the database's integer (a 500 found by the trust fuzzer).
        offset = min(max(int(request.GET.get("offset", HISTORY_PAGE)), 0), HISTORY_MAX_OFFSET)
    except ValueError:
        offset = HISTORY_PAGE
    if not _is_htmx(request):
        # Opened as a page (a new tab, a bookmark): the settings page with the history down to those rows, not a
        # bare list fragment without a document around it.
        return _page(request, events=offset + HISTORY_PAGE)
    events = list(selectors.source_events(account=request.account, limit=HISTORY_PAGE + 1, offset=offset))
    context = {
        "events": events[:HISTORY_PAGE],
        "history_next": offset + HISTORY_PAGE if len(events) > HISTORY_PAGE else None,
    }
    return render(request, "sources/_history_items.html", context)


# --- Switches and the catalogue -------------------------------------------------------------------------


@account_view(read=None, write=Role.ADMIN)
@require_POST
def source_switches(request: AccountRequest) -> HttpResponse:
    form = SwitchesForm(request.POST, account=request.account)
    if not form.is_valid():
        return _page(request, switches=form)
    enabled = form.cleaned_data["enabled"]
    # While the feature is off the second switch is disabled (not submitted): keep its stored value.
    default = form.cleaned_data["default_from_contact"] if enabled else UNSET
    try:
        services.source_settings_update(
            account=request.account, user=request.user, enabled=enabled, default_from_contact=default
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return _page(request, switches=form)
    messages.success(request, _("Source settings saved."))
    return redirect(_settings_url(request))


@account_view(read=None, write=Role.ADMIN)
@require_POST
def source_add(request: AccountRequest) -> HttpResponse:
    form = AddSourceForm(request.POST)
    if form.is_valid():
        try:
            source = services.source_create(account=request.account, user=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _done(request, with_names(_("Source “%(name)s” added."), name=source.name))
    return _catalogue(request, add_form=form)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def source_rename(request: AccountRequest, source_id: int) -> HttpResponse:
    source = _source(request, source_id)
    if request.method == "GET":
        return _catalogue(request, editing=source, rename_form=RenameForm(source=source))
    form = RenameForm(request.POST, source=source)
    if form.is_valid():
        try:
            renamed = services.source_rename(
                account=request.account,
                user=request.user,
                source=source,
                name=form.cleaned_data["name"],
                version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            _take_fresh_version(form, exc, source.version)
        else:
            return _done(request, with_names(_("Source renamed to “%(name)s”."), name=renamed.name))
    return _catalogue(request, editing=source, rename_form=form)


@account_view(read=None, write=Role.ADMIN)
@require_POST
def source_set_channel(request: AccountRequest, source_id: int) -> HttpResponse:
    """The catalogue's channel picker: the source rolls up under that channel in the statistics."""
    source = _source(request, source_id)
    form = SourceChannelForm(request.POST, account=request.account)
    if not form.is_valid():
        return _failed(request, ValidationFailed(" ".join(str(e) for errors in form.errors.values() for e in errors)))
    channel = form.cleaned_data["channel"]
    try:
        changed = services.source_set_channel(
            account=request.account,
            user=request.user,
            source=source,
            channel_id=channel.pk if channel is not None else None,
            version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        return _failed(request, exc)
    if channel is None:
        notice = with_names(_("“%(name)s” now has no channel."), name=changed.name)
    else:
        notice = with_names(
            _("“%(name)s” is now in the channel “%(channel)s”."), name=changed.name, channel=channel.name
        )
    return _done(request, notice, focus=(changed.pk, ""))


@account_view(read=None, write=Role.ADMIN)
@require_POST
def source_move(request: AccountRequest, source_id: int) -> HttpResponse:
    source = _source(request, source_id)
    direction = request.POST.get("direction", "")
    try:
        services.source_move(
            account=request.account,
            user=request.user,
            source=source,
            direction=direction,  # type: ignore[arg-type]  # the service refuses anything but up/down
        )
    except DomainError as exc:
        return _failed(request, exc)
    order = list(selectors.source_list(account=request.account).values_list("pk", flat=True))
    place = order.index(source.pk) + 1 if source.pk in order else 0
    notice = with_names(
        _("“%(name)s” is now in place %(place)d of %(count)d."), name=source.name, place=place, count=len(order)
    )
    return _done(request, notice, focus=(source.pk, direction))


@account_view(read=None, write=Role.ADMIN)
@require_POST
def source_reorder(request: AccountRequest) -> HttpResponse:
    try:
        ordered = [int(v) for v in request.POST.getlist("ordered_ids")]
    except ValueError:
        ordered = []
    try:
        services.source_reorder(account=request.account, user=request.user, ordered_ids=ordered)
    except DomainError as exc:
        return _failed(request, exc)
    return _done(request, _("Order saved."))


def _version(request: AccountRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


@account_view(read=None, write=Role.ADMIN)
@require_POST
def source_archive(request: AccountRequest, source_id: int) -> HttpResponse:
    source = _source(request, source_id)
    try:
        done = services.source_archive(
            account=request.account, user=request.user, source=source, version=_version(request)
        )
    except DomainError as exc:
        return _failed(request, exc)
    return _done(request, with_names(_("Source “%(name)s” archived."), name=done.name))


@account_view(read=None, write=Role.ADMIN)
@require_POST
def source_unarchive(request: AccountRequest, source_id: int) -> HttpResponse:
    source = _source(request, source_id)
    try:
        done = services.source_unarchive(
            account=request.account, user=request.user, source=source, version=_version(request)
        )
    except DomainError as exc:
        return _failed(request, exc)
    return _done(request, with_names(_("Source “%(name)s” restored."), name=done.name))


# --- Delete and merge (full pages: the admin must see the counts and choose) ----------------------------


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def source_delete(request: AccountRequest, source_id: int) -> HttpResponse:
    """Unused: confirm. Used: the counts and three explicit choices (merge, clear from N records, archive)."""
    source = _source(request, source_id)
    usage = selectors.source_usage(account=request.account, source=source)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    merge_form = MergeForm(
        request.POST if action == "merge" else None, account=request.account, source=source, prefix="merge"
    )
    clear_form = ClearForm(request.POST if action == "clear" else None, count=usage.total, prefix="clear")
    error = ""
    if action == "merge":
        response = _merge(request, source, merge_form) if merge_form.is_valid() else None
    elif action == "clear":
        response, error = _clear(request, source, clear_form) if clear_form.is_valid() else (None, "")
    elif action in ("delete", "archive"):
        response, error = _delete_or_archive(request, source, action)
    else:
        response = None
    if response is not None:
        return response
    if request.method == "POST":
        # The counts may have changed while the admin decided: show the fresh ones with the error. After a clear
        # refused for a changed count, the form starts afresh too (the new count to confirm, the box unticked):
        # keeping the old count and the ticked box would only repeat the refusal.
        usage = selectors.source_usage(account=request.account, source=source)
        if action != "clear" or error:
            clear_form = ClearForm(count=usage.total, prefix="clear")
    context = {
        "settings_tab": "sources",
        "source": source,
        "usage": usage,
        "merge_form": merge_form,
        "clear_form": clear_form,
        "error": error,
    }
    return render(request, "sources/delete.html", context)


def _delete_or_archive(request: AccountRequest, source: Source, action: str) -> tuple[HttpResponse | None, str]:
    try:
        if action == "delete":
            services.source_delete(account=request.account, user=request.user, source=source, mode="only_if_unused")
            notice = _("Source “%(name)s” deleted.")
        else:
            services.source_archive(account=request.account, user=request.user, source=source)
            notice = _("Source “%(name)s” archived instead of deleted.")
    except DomainError as exc:
        return None, exc.message
    messages.success(request, with_names(notice, name=source.name))
    return redirect(_settings_url(request)), ""


def _clear(request: AccountRequest, source: Source, form: ClearForm) -> tuple[HttpResponse | None, str]:
    """A redirect when done; else None with the page's error (a changed count) or the form carrying it."""
    count = form.cleaned_data["expected_count"]
    try:
        services.source_delete(
            account=request.account, user=request.user, source=source, mode="clear", expected_count=count
        )
    except Conflict as exc:
        return None, exc.message
    except DomainError as exc:
        add_domain_error(form, exc)
        return None, ""
    messages.success(
        request,
        with_names(
            ngettext(
                "Source “%(name)s” deleted; %(count)d record no longer has a source.",
                "Source “%(name)s” deleted; %(count)d records no longer have a source.",
                count,
            ),
            name=source.name,
            count=count,
        ),
    )
    return redirect(_settings_url(request)), ""


def _merge(request: AccountRequest, source: Source, form: MergeForm) -> HttpResponse | None:
    """Run the merge; a redirect when done, None when the form now carries the error."""
    into = form.cleaned_data["into"]
    try:
        moved = services.source_merge(
            account=request.account,
            user=request.user,
            source=source,
            into=into,
            version=form.cleaned_data.get("version"),
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        _take_fresh_version(form, exc, source.version)
        return None
    messages.success(
        request,
        with_names(
            ngettext(
                "“%(name)s” merged into “%(into)s”: %(count)d record moved.",
                "“%(name)s” merged into “%(into)s”: %(count)d records moved.",
                moved,
            ),
            name=source.name,
            into=into.name,
            count=moved,
        ),
    )
    return redirect(_settings_url(request))


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def source_merge(request: AccountRequest, source_id: int) -> HttpResponse:
    source = _source(request, source_id)
    form = MergeForm(request.POST or None, account=request.account, source=source, prefix="merge")
    if request.method == "POST" and form.is_valid():
        response = _merge(request, source, form)
        if response is not None:
            return response
    usage = selectors.source_usage(account=request.account, source=source)
    context = {"settings_tab": "sources", "source": source, "usage": usage, "merge_form": form}
    return render(request, "sources/merge.html", context)


# --- Aliases (a panel of the same page, refreshed by htmx like the catalogue) ---------------------------


def _alias(request: AccountRequest, alias_id: int) -> SourceAlias:
    try:
        return selectors.source_alias_get(account=request.account, alias_id=alias_id)
    except NotFound as exc:
        raise Http404 from exc


def _aliases(request: AccountRequest, **kwargs: Any) -> HttpResponse:
    """The aliases panel for htmx (with the history out of band), the full page otherwise."""
    if not _is_htmx(request):
        return _page(request, aliases=kwargs)
    context = {**_aliases_context(request, **kwargs), **_history_context(request), "oob_history": True}
    return render(request, "sources/_aliases.html", context)


def _alias_done(request: AccountRequest, notice: str) -> HttpResponse:
    if _is_htmx(request):
        return _aliases(request, notice=notice)
    messages.success(request, notice)
    return redirect(f"{_settings_url(request)}#sources-aliases")


@account_view(read=None, write=Role.ADMIN)
@require_POST
def source_alias_add(request: AccountRequest) -> HttpResponse:
    form = AliasForm(request.POST, account=request.account)
    if form.is_valid():
        try:
            alias = services.source_alias_create(
                account=request.account,
                user=request.user,
                source=form.cleaned_data["source"],
                text=form.cleaned_data["text"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            notice = with_names(_("“%(alias)s” now stands for “%(name)s”."), alias=alias.text, name=alias.source.name)
            return _alias_done(request, notice)
    return _aliases(request, alias_form=form)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def source_alias_edit(request: AccountRequest, alias_id: int) -> HttpResponse:
    alias = _alias(request, alias_id)
    if request.method == "GET":
        return _aliases(request, editing=alias, edit_form=AliasForm(account=request.account, alias=alias))
    form = AliasForm(request.POST, account=request.account, alias=alias)
    if form.is_valid():
        try:
            changed = services.source_alias_update(
                account=request.account,
                user=request.user,
                alias=alias,
                source=form.cleaned_data["source"],
                text=form.cleaned_data["text"],
                version=form.cleaned_data.get("version"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            _take_fresh_version(form, exc, _alias(request, alias_id).version)
        else:
            notice = with_names(
                _("“%(alias)s” now stands for “%(name)s”."), alias=changed.text, name=changed.source.name
            )
            return _alias_done(request, notice)
    return _aliases(request, editing=alias, edit_form=form)


@account_view(read=None, write=Role.ADMIN)
@require_POST
def source_alias_delete(request: AccountRequest, alias_id: int) -> HttpResponse:
    alias = _alias(request, alias_id)
    try:
        services.source_alias_delete(account=request.account, user=request.user, alias=alias, version=_version(request))
    except DomainError as exc:
        if _is_htmx(request):
            return _aliases(request, error=exc.message)
        messages.error(request, exc.message)
        return redirect(_settings_url(request))
    return _alias_done(request, with_names(_("Alias “%(alias)s” deleted."), alias=alias.text))
