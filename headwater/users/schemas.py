"""API schemas for the current user, the account, its members and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

if TYPE_CHECKING:
    from headwater.users.models import Invitation, Membership

RoleName = Literal["admin", "member", "viewer"]


class UserOut(Schema):
    id: int
    email: str
    full_name: str


class AccountOut(Schema):
    id: int
    slug: str
    name: str
    currency: str
    language: str
    time_zone: str
    sources_enabled: bool
    source_default_from_contact: bool


class MembershipOut(Schema):
    id: int
    role: RoleName


class MeOut(Schema):
    user: UserOut
    membership: MembershipOut
    account: AccountOut


class MemberOut(Schema):
    id: int = Field(description="The membership id (use it in /members/{id}).")
    user_id: int = Field(description="The user id (what records' `owner_id` refers to).")
    email: str
    full_name: str
    role: RoleName
    created_at: datetime

    @staticmethod
    def resolve_email(obj: Membership) -> str:
        return str(obj.user.email)

    @staticmethod
    def resolve_full_name(obj: Membership) -> str:
        return str(obj.user.full_name)


class MemberPage(Schema):
    items: list[MemberOut]
    next: str | None


class MemberInviteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    role: RoleName


class InvitationOut(Schema):
    """An invitation as the inviting account sees it: the address it typed, never whether that has a login."""

    id: int = Field(description="The invitation id (use it in /invitations/{id}).")
    email: str
    role: RoleName
    status: Literal["pending", "expired", "declined"] = Field(
        description="`pending` until accepted (then it becomes a member and the invitation goes), declined or expired."
    )
    created_at: datetime
    sent_at: datetime = Field(description="When the current link was sent.")
    expires_at: datetime
    invited_by_id: int | None = Field(description="The admin who sent the current link (a user id).")

    @staticmethod
    def resolve_status(obj: Invitation) -> str:
        return str(obj.state)


class InvitationPage(Schema):
    items: list[InvitationOut]
    next: str | None


class InvitationRenewIn(Schema):
    model_config = ConfigDict(extra="forbid")

    role: RoleName | None = Field(None, description="A new role for the invitation; unchanged when left out.")


class MemberPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    role: RoleName


class MemberRemovedOut(Schema):
    reassigned_to_id: int | None
    records: dict[str, int] = Field(description="Records whose owner changed, per kind (companies, persons, deals).")
