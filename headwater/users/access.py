"""Resolving the account from the URL and checking the caller's role in it."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from headwater.core.compiled import CompiledQuery
from headwater.core.models import Account
from headwater.users.models import Membership, Role, User
from headwater.users.selectors import user_memberships

P = ParamSpec("P")

_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2}


class AccountRequest(HttpRequest):
    """An HttpRequest after `account_view` resolved the tenant from the URL."""

    account: Account
    membership: Membership
    memberships: list[Membership]  # all of the user's, by account name: the header's account switcher
    user: User
    htmx: HtmxDetails  # set by django-htmx's middleware on every request


# Every page of an account runs it: compiled once (see core.compiled), the selector stays its one definition.
_USER_MEMBERSHIPS: CompiledQuery[Membership] = CompiledQuery(
    lambda user_id: user_memberships(user=User(pk=user_id)), user_id=int
)


def user_membership_list(user: User) -> list[Membership]:
    """`users.selectors.user_memberships` as a list: the active user's memberships with their accounts, by name."""
    return _USER_MEMBERSHIPS(user_id=user.pk)


def membership_for(user: Any, slug: str) -> tuple[Membership, list[Membership]]:
    """The user's membership in the account `slug`, and all their memberships; 404 whether the account is missing
    or not theirs.

    One query answers both: a page needs the account switcher's list anyway, and the current membership is in it.
    """
    if not getattr(user, "is_authenticated", False):
        raise Http404
    memberships = user_membership_list(user)
    for membership in memberships:
        if membership.account.slug == slug:
            return membership, memberships
    raise Http404


def has_role(membership: Membership, role: Role) -> bool:
    return _RANK[Role(membership.role)] >= _RANK[role]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def account_view(
    *, read: Role | None, write: Role | None
) -> Callable[
    [Callable[Concatenate[AccountRequest, P], HttpResponse]], Callable[Concatenate[HttpRequest, P], HttpResponse]
]:
    """Decorate a view under /a/<account_slug>/: 404 for non-members; then the role the method needs, 403 below it.

    `read` is the role for GET, HEAD and OPTIONS, `write` for every other method; None means the view answers no
    such method (405). Both are required, so every view states who may read it and who may write through it, and
    no view relies on checking a role inside: a forgotten check cannot leave a page open to viewers.
    """
    if read is None and write is None:
        raise ValueError("account_view: a view answers reads, writes or both")

    def decorator(
        view: Callable[Concatenate[AccountRequest, P], HttpResponse],
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            slug = str(kwargs.pop("account_slug"))
            membership, memberships = membership_for(request.user, slug)
            areq: AccountRequest = request  # type: ignore[assignment]  # the same object, given the attributes below
            areq.membership = membership
            areq.memberships = memberships
            areq.account = membership.account
            # Times on the account's pages read in the account's zone, the zone its statistics count days in.
            timezone.activate(zoneinfo.ZoneInfo(membership.account.time_zone))
            needed = read if request.method in SAFE_METHODS else write
            if needed is None:
                return HttpResponseNotAllowed(sorted(SAFE_METHODS) if write is None else ["POST"])
            if not has_role(membership, needed):
                raise PermissionDenied  # after the attributes: the 403 page shows the account's header
            return view(areq, *args, **kwargs)

        return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature we declare

    return decorator
