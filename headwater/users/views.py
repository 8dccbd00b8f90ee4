# Long on purpose: the identity flows (log in, sign up, confirm, invitations) and the members page, sharing the link
# and error helpers at the top; each view is short.
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from headwater.core.errors import DomainError, NotFound
from headwater.core.errors import PermissionDenied as DomainPermissionDenied
from headwater.users import links, services, throttle
from headwater.users import selectors as member_selectors
from headwater.users.access import AccountRequest, account_view
from headwater.users.forms import (
    AccountCreateForm,
    ChoosePasswordForm,
    LoginForm,
    MemberInviteForm,
    MemberRemoveForm,
    MemberRoleForm,
    ProfileForm,
    SignupForm,
)
from headwater.users.models import Invitation, Membership, Role, User

_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _site_url(request: HttpRequest) -> str:
    """Where the links we e-mail point: SITE_URL when set (behind a proxy), else the host the request came to
    (one of ALLOWED_HOSTS, which Django has checked)."""
    return str(getattr(settings, "SITE_URL", "") or request.build_absolute_uri("/"))


def _link_invalid(request: HttpRequest, exc: links.LinkInvalid) -> HttpResponse:
    return render(request, "users/link_invalid.html", {"message": exc.message}, status=400)


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
        user = form.get_user()
        if user is not None and form.has_error(NON_FIELD_ERRORS, "unconfirmed"):
            # The password was right: the address only needs confirming. Not a failure, and nothing revealed to
            # anyone who did not know the password.
            try:
                services.user_email_confirmation_send(user=user, site_url=_site_url(self.request))
            except DomainError as exc:
                form.add_error(None, exc.message)
            return super().form_invalid(form)
        email = str(self.request.POST.get("username", ""))
        if email:
            throttle.login_failure_record(email=email, request=self.request)
        return super().form_invalid(form)


class HeadwaterLogoutView(LogoutView):
    pass


def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up, first step: name and address. Whatever the address, the answer is "check your inbox"."""
    if request.user.is_authenticated:
        return redirect("users:account_new")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not throttle.signup_allowed(email=form.cleaned_data["email"], request=request):
            form.add_error(None, _("Too many sign-ups from here or for this address. Wait an hour and try again."))
            response = render(request, "users/signup.html", {"form": form}, status=429)
            response["Retry-After"] = str(throttle.signup_window_seconds())
            return response
        try:
            email = services.user_signup_request(
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                language=get_language(),
                site_url=_site_url(request),
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            return render(request, "users/signup_sent.html", {"email": email})
    return render(request, "users/signup.html", {"form": form})


def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Sign-up, second step: the e-mailed link proves the address; choose a password and you are in."""
    try:
        claim = member_selectors.signup_claim(token=token)
    except links.LinkInvalid as exc:
        return _link_invalid(request, exc)
    form = ChoosePasswordForm(
        request.POST if request.method == "POST" else None, email=claim.email, initial={"full_name": claim.full_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup_confirm(
                token=token, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
            )
        except links.LinkInvalid as exc:
            return _link_invalid(request, exc)
        except DomainError as exc:
            _apply_errors(form, exc, rename={"password": "password1"})
        else:
            login(request, user, backend=_BACKEND)
            messages.success(request, _("Your address is confirmed and your login is ready. Welcome to Headwater!"))
            return redirect("core:home")
    return render(request, "users/signup_confirm.html", {"form": form, "email": claim.email})


def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """A login from before address confirmation: the e-mailed link confirms the address (on a button press, so a
    mail scanner opening the link confirms nothing)."""
    try:
        _user_id, email = links.confirm_token_read(token)
    except links.LinkInvalid as exc:
        return _link_invalid(request, exc)
    if request.method == "POST":
        try:
            services.user_email_confirm(token=token)
        except links.LinkInvalid as exc:
            return _link_invalid(request, exc)
        messages.success(request, _("Your address is confirmed. Log in with it."))
        return redirect("users:login")
    return render(request, "users/email_confirm.html", {"email": email})


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation e-mail links to. Opening it proves the address, so its owner can accept (logging in
    first, or choosing a password when the address has no login yet) or decline."""
    try:
        found = member_selectors.invitation_by_token(token=token)
    except links.LinkInvalid as exc:
        return _link_invalid(request, exc)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "decline":
        return _decline_by_link(request, found)
    if request.user.is_authenticated:
        user = request.user
        mine = user.email.lower() == found.email
        if action == "accept" and mine:
            return _accept(request, found, user)
        return render(request, "users/invitation.html", {"invitation": found, "mine": mine})
    if member_selectors.address_has_user(email=found.email):
        login_url = f"{reverse('users:login')}?{urlencode({'next': request.path})}"
        return render(request, "users/invitation.html", {"invitation": found, "login_url": login_url})
    return _invitation_new_login(request, token, found, submitted=action == "signup")


def _decline_by_link(request: HttpRequest, found: Invitation) -> HttpResponse:
    try:
        services.invitation_decline(invitation=found)
    except NotFound:
        # Accepted or withdrawn between opening the page and pressing the button.
        return _link_invalid(request, links.LinkInvalid(_("This invitation no longer exists.")))
    messages.info(request, _("You declined the invitation to %(account)s.") % {"account": found.account.name})
    return redirect("core:home" if request.user.is_authenticated else "users:login")


def _invitation_new_login(request: HttpRequest, token: str, found: Invitation, *, submitted: bool) -> HttpResponse:
    """The address has no login yet: its owner chooses a name and password, and joins."""
    form = ChoosePasswordForm(request.POST if submitted else None, email=found.email)
    if submitted and form.is_valid():
        try:
            user, membership = services.user_create_from_invitation(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                language=get_language(),
            )
        except links.LinkInvalid as exc:
            return _link_invalid(request, exc)
        except DomainError as exc:
            _apply_errors(form, exc, rename={"password": "password1"})
        else:
            login(request, user, backend=_BACKEND)
            return _joined(request, membership)
    context = {"invitation": found, "form": form}
    return render(request, "users/invitation.html", context, status=400 if form.errors else 200)


def _joined(request: HttpRequest, membership: Membership) -> HttpResponse:
    messages.success(
        request,
        _("You joined %(account)s as %(role)s.")
        % {"account": membership.account.name, "role": membership.get_role_display()},
    )
    return redirect("account:dashboard", account_slug=membership.account.slug)


def _accept(request: HttpRequest, found: Invitation, user: User) -> HttpResponse:
    try:
        membership = services.invitation_accept(invitation=found, user=user)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("core:home")
    return _joined(request, membership)


def _my_invitation(request: HttpRequest, invitation_id: int) -> tuple[User, Invitation]:
    user: User = request.user  # type: ignore[assignment]  # login_required guarantees a real user
    try:
        return user, member_selectors.invitation_for_user_get(user=user, invitation_id=invitation_id)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@require_POST
def invitation_accept(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """An invitation to the logged-in user's address, accepted from the start page."""
    user, found = _my_invitation(request, invitation_id)
    return _accept(request, found, user)


@login_required
@require_POST
def invitation_decline(request: HttpRequest, invitation_id: int) -> HttpResponse:
    user, found = _my_invitation(request, invitation_id)
    try:
        services.invitation_decline(invitation=found, user=user)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("You declined the invitation to %(account)s.") % {"account": found.account.name})
    return redirect("core:home")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (the cookie), and for a logged-in user their choice, kept with their login."""
    response = django_set_language(request)
    language = str(request.POST.get("language", ""))
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.user_set_language(user=request.user, language=language)
    return response


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


def _membership_or_404(request: AccountRequest, membership_id: int) -> Membership:
    try:
        return member_selectors.membership_get(account=request.account, membership_id=membership_id)
    except NotFound as exc:
        raise Http404 from exc


def _members_page(request: AccountRequest, invite_form: MemberInviteForm, *, status: int = 200) -> HttpResponse:
    rows = [
        {"membership": m, "role_form": MemberRoleForm(initial={"role": m.role}, prefix=f"m{m.pk}")}
        for m in member_selectors.membership_list(account=request.account)
    ]
    context = {
        "rows": rows,
        "invitations": list(member_selectors.invitation_list(account=request.account)),
        "invite_form": invite_form,
        "settings_tab": "members",
    }
    return render(request, "users/members.html", context, status=status)


def _acting_user(request: AccountRequest) -> User:
    return request.user


@account_view(read=Role.ADMIN, write=Role.ADMIN)
def member_list(request: AccountRequest) -> HttpResponse:
    """The members and the invitations; posting the form invites an address (the answer never says whether the
    address already has a login)."""
    form = MemberInviteForm(request.POST if request.method == "POST" else None)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.invitation_create(
                account=request.account,
                user=_acting_user(request),
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                site_url=_site_url(request),
            )
        except DomainPermissionDenied as exc:
            raise PermissionDenied from exc
        except DomainError as exc:
            _apply_errors(form, exc)
            status = exc.status
        else:
            days = max(1, links.invitation_max_age().days)
            messages.success(
                request,
                ngettext(
                    "Invitation sent to %(email)s. The link works for %(days)d day.",
                    "Invitation sent to %(email)s. The link works for %(days)d days.",
                    days,
                )
                % {"email": sent.email, "days": days},
            )
            return redirect("account_settings:members", account_slug=request.account.slug)
    return _members_page(request, form, status=status)


def _invitation_or_404(request: AccountRequest, invitation_id: int) -> Invitation:
    try:
        return member_selectors.invitation_get(account=request.account, invitation_id=invitation_id)
    except NotFound as exc:
        raise Http404 from exc


@account_view(read=None, write=Role.ADMIN)
@require_POST
def invitation_renew(request: AccountRequest, invitation_id: int) -> HttpResponse:
    found = _invitation_or_404(request, invitation_id)
    try:
        services.invitation_renew(
            account=request.account, user=_acting_user(request), invitation=found, site_url=_site_url(request)
        )
    except DomainPermissionDenied as exc:
        raise PermissionDenied from exc
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("A new invitation link was sent to %(email)s; earlier links no longer work.") % {"email": found.email},
        )
    return redirect("account_settings:members", account_slug=request.account.slug)


@account_view(read=None, write=Role.ADMIN)
@require_POST
def invitation_revoke(request: AccountRequest, invitation_id: int) -> HttpResponse:
    found = _invitation_or_404(request, invitation_id)
    try:
        services.invitation_revoke(account=request.account, user=_acting_user(request), invitation=found)
    except DomainPermissionDenied as exc:
        raise PermissionDenied from exc
    except NotFound as exc:
        raise Http404 from exc
    messages.success(
        request, _("The invitation for %(email)s was withdrawn; its link no longer works.") % {"email": found.email}
    )
    return redirect("account_settings:members", account_slug=request.account.slug)


@account_view(read=None, write=Role.ADMIN)
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


@account_view(read=Role.ADMIN, write=Role.ADMIN)
def member_remove(request: AccountRequest, membership_id: int) -> HttpResponse:
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
