"""API: the current user (`/me`) and the account's members (read for all; write for admins)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from headwater.core.api_auth import account_of, membership_of, require_role, user_of
from headwater.core.api_pagination import CREATED_KEY, ID_KEY, Page, PageParams, SortKey, keyset_page
from headwater.core.errors import ValidationFailed
from headwater.users import selectors, services
from headwater.users.models import Membership, Role, User
from headwater.users.schemas import (
    MemberAddedOut,
    MemberIn,
    MemberOut,
    MemberPage,
    MemberPatch,
    MemberRemovedOut,
    MeOut,
)

me_router = Router()
members_router = Router()

MEMBER_ORDERING: dict[str, SortKey] = {"id": ID_KEY, "created_at": CREATED_KEY}


@me_router.get("", response=MeOut, summary="The token's user, membership and account")
def me_get(request: HttpRequest) -> dict[str, Any]:
    membership = membership_of(request)
    return {"user": membership.user, "membership": membership, "account": membership.account}


@members_router.get("", response=MemberPage, summary="List the account's members")
def member_list(request: HttpRequest, page: Query[PageParams]) -> Page[Membership]:
    qs = selectors.membership_list(account=account_of(request))
    return keyset_page(qs, ordering="id", allowed=MEMBER_ORDERING, cursor=page.cursor, limit=page.limit)


@members_router.get("/{member_id}", response=MemberOut, summary="One member")
def member_get(request: HttpRequest, member_id: int) -> Membership:
    return selectors.membership_get(account=account_of(request), membership_id=member_id)


@members_router.post("", response={201: MemberAddedOut}, summary="Add a member (admin)")
def member_add(request: HttpRequest, payload: MemberIn) -> Status[Membership]:
    require_role(request, Role.ADMIN)
    added = services.membership_add(
        account=account_of(request),
        user=user_of(request),
        email=payload.email,
        role=payload.role,
        full_name=payload.full_name,
    )
    membership = added.membership
    membership.invitation_url = _invitation_url(request, added.invitation_token)  # type: ignore[attr-defined]
    return Status(201, membership)


@members_router.patch("/{member_id}", response=MemberOut, summary="Change a member's role (admin)")
def member_change_role(request: HttpRequest, member_id: int, payload: MemberPatch) -> Membership:
    require_role(request, Role.ADMIN)
    account = account_of(request)
    membership = selectors.membership_get(account=account, membership_id=member_id)
    return services.membership_change_role(
        account=account, user=user_of(request), membership=membership, role=payload.role
    )


@members_router.delete("/{member_id}", response=MemberRemovedOut, summary="Remove a member (admin)")
def member_remove(request: HttpRequest, member_id: int, reassign_to_id: int | None = None) -> dict[str, Any]:
    """Their records stay: owned by `reassign_to_id` (an admin or member) when given, else by nobody."""
    require_role(request, Role.ADMIN)
    account = account_of(request)
    membership = selectors.membership_get(account=account, membership_id=member_id)
    reassign_to = None
    if reassign_to_id is not None:
        reassign_to = User.objects.filter(pk=reassign_to_id, memberships__account=account).first()
        if reassign_to is None:
            raise ValidationFailed.on("reassign_to_id", _("Records can only go to an admin or member of this account."))
    removed = services.membership_remove(
        account=account, user=user_of(request), membership=membership, reassign_to=reassign_to
    )
    return {
        "reassigned_to_id": removed.reassigned_to.pk if removed.reassigned_to else None,
        "records": removed.records,
    }


def _invitation_url(request: HttpRequest, token: str | None) -> str | None:
    if not token:
        return None
    try:
        return request.build_absolute_uri(reverse("users:invitation", kwargs={"token": token}))
    except NoReverseMatch:
        return None
