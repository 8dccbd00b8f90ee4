"""The pages around the records: the home page (the accounts and invitations), an account's dashboard, its general
settings; and the health check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from headwater.core.errors import DomainError
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role, User
from headwater.users.selectors import invitations_for_user, user_memberships
from headwater.workspace import services
from headwater.workspace.forms import AccountSettingsForm
from headwater.workspace.selectors import dashboard_get


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's accounts and the invitations waiting for their answer; straight to the dashboard when there is
    only one account and nothing to answer."""
    user: User = request.user  # type: ignore[assignment]  # login_required guarantees a real user
    memberships = list(user_memberships(user=user))
    invitations = invitations_for_user(user=user)
    if len(memberships) == 1 and not invitations:
        return redirect(reverse("account:dashboard", kwargs={"account_slug": memberships[0].account.slug}))
    return render(request, "workspace/home.html", {"memberships": memberships, "invitations": invitations})


@account_view(read=Role.VIEWER, write=None)
def dashboard(request: AccountRequest) -> HttpResponse:
    dashboard = dashboard_get(account=request.account, user=request.user)
    return render(request, "workspace/dashboard.html", {"dashboard": dashboard})


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@account_view(read=Role.ADMIN, write=Role.ADMIN)
def account_settings(request: AccountRequest) -> HttpResponse:
    zone_before = request.account.time_zone  # the bound form writes the new zone into the instance
    form = AccountSettingsForm(request.POST if request.method == "POST" else None, instance=request.account)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update_settings(
                account=request.account,
                version=form.cleaned_data["version"],
                name=form.cleaned_data["name"],
                currency=form.cleaned_data["currency"],
                language=form.cleaned_data["language"],
                time_zone=form.cleaned_data["time_zone"],
                stats_min_closed=form.cleaned_data["stats_min_closed"],
                user=request.user,
            )
        except DomainError as exc:
            placed = False
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
                    placed = True
            if not placed:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Account settings saved."))
            if form.cleaned_data["time_zone"] != zone_before:
                messages.info(
                    request,
                    _("The statistics are being recomputed for the new time zone; Statistics shows the progress."),
                )
            return redirect("account_settings:general", account_slug=request.account.slug)
    return render(request, "workspace/account_settings.html", {"form": form, "settings_tab": "general"})
