from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from headwater.core.access import AccountRequest, account_view, require_role
from headwater.core.errors import DomainError
from headwater.users import selectors as member_selectors
from headwater.users import services
from headwater.users.forms import LoginForm, SignupForm
from headwater.users.models import Role


class HeadwaterLoginView(LoginView):
    form_class = LoginForm
    template_name = "users/login.html"
    redirect_authenticated_user = True


class HeadwaterLogoutView(LogoutView):
    pass


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, account = services.user_signup(**form.cleaned_data)
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Headwater! Your account is ready."))
            return redirect(reverse("account:dashboard", kwargs={"account_slug": account.slug}))
    return render(request, "users/signup.html", {"form": form})


@account_view()
def member_list(request: AccountRequest) -> HttpResponse:
    require_role(request, Role.ADMIN)
    members = member_selectors.membership_list(account=request.account)
    return render(request, "users/members.html", {"members": members, "settings_tab": "members"})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("users:profile")
    return render(request, "users/profile.html", {"form": form})
