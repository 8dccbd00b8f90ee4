"""API: the current user (`/me`), the account's members (read for all; write for admins) and its invitations (admins).

Adding a member is an invitation: `POST /members` e-mails a link to the address and answers the invitation, the
same whether the address has a login or not. The person becomes a member when they accept.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Status

from headwater.core.api_pagination import PageParams, api_keyset_page
from headwater.core.errors import ValidationFailed
from headwater.core.pagination import Sorts
from headwater.users import selectors, services
from headwater.users.api_auth import AccountRouter, account_of, membership_of, user_of
from headwater.users.models import Invitation, Membership, Role, User
from headwater.users.schemas import (
    InvitationOut,
    InvitationPage,
    InvitationRenewIn,
    MemberInviteIn,
    MemberOut,
    MemberPage,
    MemberPatch,
    MemberRemovedOut,
    MeOut,
)

me_router = AccountRouter(read=Role.VIEWER, write=None)
members_router = AccountRouter(read=Role.VIEWER, write=Role.ADMIN)
invitations_router = AccountRouter(read=Role.ADMIN, write=Role.ADMIN)

# Members and invitations are listed by id (no `ordering` parameter).
MEMBER_ORDERING: Sorts = {"id": ()}


@me_router.get("", response=MeOut, summary="The token's user, membership and account")
def me_get(request: HttpRequest) -> dict[str, Any]:
    membership = membership_of(request)
    return {"user": membership.user, "membership": membership, "account": membership.account}


@members_router.get("", response=MemberPage, summary="List the account's members")
def member_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    qs = selectors.membership_list(account=account_of(request))
    return api_keyset_page(qs, sorts=MEMBER_ORDERING, ordering="id", page=page)


@members_router.get("/{member_id}", response=MemberOut, summary="One member")
def member_get(request: HttpRequest, member_id: int) -> Membership:
    return selectors.membership_get(account=account_of(request), membership_id=member_id)


@members_router.post("", response={201: InvitationOut}, summary="Invite a member (admin)")
def member_add(request: HttpRequest, payload: MemberInviteIn) -> Status[Invitation]:
    """E-mails the address a link to join; the answer is the invitation, the same whether or not the address has a
    login. The person becomes a member when they accept (`GET /invitations` shows the ones still open)."""
    invitation = services.invitation_create(
        account=account_of(request),
        user=user_of(request),
        email=payload.email,
        role=payload.role,
        site_url=_site_url(request),
    )
    return Status(201, invitation)


@members_router.patch("/{member_id}", response=MemberOut, summary="Change a member's role (admin)")
def member_change_role(request: HttpRequest, member_id: int, payload: MemberPatch) -> Membership:
    account = account_of(request)
    membership = selectors.membership_get(account=account, membership_id=member_id)
    return services.membership_change_role(
        account=account, user=user_of(request), membership=membership, role=payload.role
    )


@members_router.delete("/{member_id}", response=MemberRemovedOut, summary="Remove a member (admin)")
def member_remove(request: HttpRequest, member_id: int, reassign_to_id: int | None = None) -> dict[str, Any]:
    """Their records stay: owned by `reassign_to_id` (an admin or member) when given, else by nobody."""
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


def _site_url(request: HttpRequest) -> str:
    return str(getattr(settings, "SITE_URL", "") or request.build_absolute_uri("/"))


@invitations_router.get("", response=InvitationPage, summary="List the account's invitations (admin)")
def invitation_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    qs = selectors.invitation_list(account=account_of(request))
    return api_keyset_page(qs, sorts=MEMBER_ORDERING, ordering="id", page=page)


@invitations_router.get("/{invitation_id}", response=InvitationOut, summary="One invitation (admin)")
def invitation_get(request: HttpRequest, invitation_id: int) -> Invitation:
    return selectors.invitation_get(account=account_of(request), invitation_id=invitation_id)


@invitations_router.post("/{invitation_id}/renew", response=InvitationOut, summary="Send a new link (admin)")
def invitation_renew(request: HttpRequest, invitation_id: int, payload: InvitationRenewIn) -> Invitation:
    """A fresh link by e-mail (pending again, a new expiry; optionally a new role). Earlier links stop working."""
    account = account_of(request)
    return services.invitation_renew(
        account=account,
        user=user_of(request),
        invitation=selectors.invitation_get(account=account, invitation_id=invitation_id),
        site_url=_site_url(request),
        role=payload.role,
    )


@invitations_router.delete("/{invitation_id}", response={204: None}, summary="Withdraw an invitation (admin)")
def invitation_delete(request: HttpRequest, invitation_id: int) -> Status[None]:
    """The invitation goes, and its link stops working."""
    account = account_of(request)
    services.invitation_revoke(
        account=account,
        user=user_of(request),
        invitation=selectors.invitation_get(account=account, invitation_id=invitation_id),
    )
    return Status(204, None)
