from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from headwater.core.access import AccountRequest, account_view, require_role
from headwater.core.errors import DomainError, NotFound
from headwater.core.errors import PermissionDenied as DomainPermissionDenied
from headwater.users import selectors as member_selectors
from headwater.users import services, throttle
from headwater.users.forms import (
    AccountCreateForm,
    LoginForm,
    MemberAddForm,
    MemberRemoveForm,
    MemberRoleForm,
    ProfileForm,
    SignupForm,
)
from headwater.users.invitations import InvitationInvalid, invitation_user
from headwater.users.models import Membership, Role, User

# The invitation link just created, shown once on the members page after the redirect.
_INVITATION_SESSION_KEY = "headwater.members.invitation"


def _apply_errors(form: Form, exc: DomainError, *, rename: dict[str, str] | None = None) -> None:
    """Put a service's per-field errors next to the form's fields; the rest above the form."""
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    for field, errors in exc.fields.items():
        name = (rename or {}).get(field, field)
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


class HeadwaterLoginView(LoginView):
    form_class = LoginForm
    template_name = "users/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = str(request.POST.get("username", ""))
        if email and throttle.login_is_throttled(email=email, request=request):
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                _(
                    "Too many failed log-in attempts for this e-mail address. "
                    "Wait %(minutes)d minutes and try again, or reset your password with an admin's help."
                )
                % {"minutes": throttle.window_seconds() // 60},
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(throttle.window_seconds())
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        throttle.login_failures_reset(email=form.cleaned_data["username"], request=self.request)
        return super().form_valid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        email = str(self.request.POST.get("username", ""))
        if email:
            throttle.login_failure_record(email=email, request=self.request)
        return super().form_invalid(form)


class HeadwaterLogoutView(LogoutView):
    pass


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("users:account_new")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user, account = services.user_signup(**form.cleaned_data)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Headwater! Your account is ready."))
            return redirect(reverse("account:dashboard", kwargs={"account_slug": account.slug}))
    return render(request, "users/signup.html", {"form": form})


@login_required
def account_new(request: HttpRequest) -> HttpResponse:
    """Another account for a logged-in user, who becomes its admin."""
    user: User = request.user  # type: ignore[assignment]  # login_required guarantees a real user
    form = AccountCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.account_create(
                name=data["account_name"],
                slug=data["slug"],
                currency=data["currency"],
                language=data["language"],
                owner=user,
            )
        except DomainError as exc:
            _apply_errors(form, exc, rename={"name": "account_name"})
        else:
            messages.success(request, _("The account %(name)s is ready.") % {"name": account.name})
            return redirect(reverse("account:dashboard", kwargs={"account_slug": account.slug}))
    return render(request, "users/account_new.html", {"form": form})


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee chooses a password, is logged in and lands on their accounts."""
    try:
        invitee = invitation_user(token=token)
    except InvitationInvalid as exc:
        return render(request, "users/invitation.html", {"invalid": exc.message}, status=400)
    form = SetPasswordForm(invitee, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_accept_invitation(token=token, password=form.cleaned_data["new_password1"])
        except InvitationInvalid as exc:
            return render(request, "users/invitation.html", {"invalid": exc.message}, status=400)
        except DomainError as exc:
            _apply_errors(form, exc, rename={"password": "new_password1"})
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your password is set. Welcome to Headwater!"))
            return redirect("core:home")
    return render(request, "users/invitation.html", {"form": form, "invitee": invitee})


def _membership_or_404(request: AccountRequest, membership_id: int) -> Membership:
    try:
        return member_selectors.membership_get(account=request.account, membership_id=membership_id)
    except NotFound as exc:
        raise Http404 from exc


def _members_page(request: AccountRequest, add_form: MemberAddForm, *, status: int = 200) -> HttpResponse:
    members = list(member_selectors.membership_list(account=request.account))
    others_elsewhere = member_selectors.users_with_other_accounts(account=request.account)
    rows = [
        {
            "membership": m,
            "pending": not m.user.has_usable_password(),
            "can_renew": not m.user.has_usable_password() and m.user_id not in others_elsewhere,
            "role_form": MemberRoleForm(initial={"role": m.role}, prefix=f"m{m.pk}"),
        }
        for m in members
    ]
    context = {
        "rows": rows,
        "add_form": add_form,
        "invitation": request.session.pop(_INVITATION_SESSION_KEY, None),
        "settings_tab": "members",
    }
    return render(request, "users/members.html", context, status=status)


def _acting_user(request: AccountRequest) -> User:
    return request.user


@account_view(role=Role.ADMIN)
def member_list(request: AccountRequest) -> HttpResponse:
    require_role(request, Role.ADMIN)
    form = MemberAddForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            added = services.membership_add(
                account=request.account,
                user=_acting_user(request),
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                full_name=form.cleaned_data["full_name"],
            )
        except DomainPermissionDenied as exc:
            raise PermissionDenied from exc
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            user = added.membership.user
            if added.invitation_token:
                request.session[_INVITATION_SESSION_KEY] = {
                    "email": user.email,
                    "url": request.build_absolute_uri(
                        reverse("users:invitation", kwargs={"token": added.invitation_token})
                    ),
                }
                messages.success(
                    request, _("%(email)s was added. Give them the invitation link below.") % {"email": user.email}
                )
            else:
                messages.success(
                    request,
                    _("%(email)s already uses Headwater and can now open this account.") % {"email": user.email},
                )
            return redirect("account_settings:members", account_slug=request.account.slug)
    status = 400 if request.method == "POST" else 200
    return _members_page(request, form, status=status)


@account_view(role=Role.ADMIN)
@require_POST
def member_role(request: AccountRequest, membership_id: int) -> HttpResponse:
    membership = _membership_or_404(request, membership_id)
    form = MemberRoleForm(request.POST, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose admin, member or viewer."))
    else:
        try:
            services.membership_change_role(
                account=request.account,
                user=_acting_user(request),
                membership=membership,
                role=form.cleaned_data["role"],
            )
        except DomainPermissionDenied as exc:
            raise PermissionDenied from exc
        except DomainError as exc:
            messages.error(request, " ".join(e for errs in exc.fields.values() for e in errs) or exc.message)
        else:
            messages.success(
                request,
                _("%(name)s is now: %(role)s.")
                % {"name": membership.user.display_name, "role": membership.get_role_display()},
            )
    if membership.user_id == request.user.pk and membership.role != Role.ADMIN:
        # They just stepped down: the members page is no longer theirs to see.
        return redirect("account:dashboard", account_slug=request.account.slug)
    return redirect("account_settings:members", account_slug=request.account.slug)


@account_view(role=Role.ADMIN)
def member_remove(request: AccountRequest, membership_id: int) -> HttpResponse:
    require_role(request, Role.ADMIN)
    membership = _membership_or_404(request, membership_id)
    candidates = member_selectors.reassign_candidates(account=request.account, leaving=membership.user)
    form = MemberRemoveForm(request.POST if request.method == "POST" else None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.membership_remove(
                account=request.account,
                user=_acting_user(request),
                membership=membership,
                reassign_to=form.cleaned_data["reassign_to"],
            )
        except DomainPermissionDenied as exc:
            raise PermissionDenied from exc
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            moved = sum(result.records.values())
            if result.reassigned_to is not None:
                text = _("%(name)s was removed; %(count)d records now belong to %(to)s.") % {
                    "name": membership.user.display_name,
                    "count": moved,
                    "to": result.reassigned_to.display_name,
                }
            else:
                text = _("%(name)s was removed; %(count)d records now have no owner.") % {
                    "name": membership.user.display_name,
                    "count": moved,
                }
            messages.success(request, text)
            if membership.user_id == request.user.pk:
                return redirect("core:home")
            return redirect("account_settings:members", account_slug=request.account.slug)
    counts = member_selectors.member_owned_counts(account=request.account, user=membership.user)
    context = {
        "membership": membership,
        "form": form,
        "counts": counts,
        "total": sum(counts.values()),
        "settings_tab": "members",
    }
    return render(request, "users/member_remove.html", context, status=400 if form.errors else 200)


@account_view(role=Role.ADMIN)
@require_POST
def member_invitation(request: AccountRequest, membership_id: int) -> HttpResponse:
    membership = _membership_or_404(request, membership_id)
    try:
        token = services.membership_invitation_renew(
            account=request.account, user=_acting_user(request), membership=membership
        )
    except DomainPermissionDenied as exc:
        raise PermissionDenied from exc
    except DomainError as exc:
        messages.error(request, " ".join(e for errs in exc.fields.values() for e in errs) or exc.message)
    else:
        request.session[_INVITATION_SESSION_KEY] = {
            "email": membership.user.email,
            "url": request.build_absolute_uri(reverse("users:invitation", kwargs={"token": token})),
        }
    return redirect("account_settings:members", account_slug=request.account.slug)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Your name and password (two forms; the submit button says which one was sent)."""
    user: User = request.user  # type: ignore[assignment]  # login_required guarantees a real user
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("action") if posted is not None else None
    name_form = ProfileForm(posted if which == "name" else None, initial={"full_name": user.full_name})
    form = PasswordChangeForm(user, posted if which != "name" else None)
    if which == "name" and name_form.is_valid():
        try:
            services.user_update_profile(user=user, full_name=name_form.cleaned_data["full_name"])
        except DomainError as exc:
            _apply_errors(name_form, exc)
        else:
            messages.success(request, _("Your name has been saved."))
            return redirect("users:profile")
    elif posted is not None and which != "name" and form.is_valid():
        saved = form.save()
        update_session_auth_hash(request, saved)
        messages.success(request, _("Your password has been changed."))
        return redirect("users:profile")
    status = 400 if (form.errors or name_form.errors) else 200
    return render(request, "users/profile.html", {"form": form, "name_form": name_form}, status=status)
