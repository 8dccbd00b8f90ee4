"""API schemas for the current user, the account and its members."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

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
    def resolve_email(obj: object) -> str:
        return str(obj.user.email)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_full_name(obj: object) -> str:
        return str(obj.user.full_name)  # type: ignore[attr-defined]


class MemberPage(Schema):
    items: list[MemberOut]
    next: str | None


class MemberIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    role: RoleName
    full_name: str = Field("", max_length=150)


class MemberAddedOut(MemberOut):
    invitation_url: str | None = Field(
        None, description="For a new user: a one-time link to set their password (we send no e-mail)."
    )


class MemberPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    role: RoleName


class MemberRemovedOut(Schema):
    reassigned_to_id: int | None
    records: dict[str, int] = Field(description="Records whose owner changed, per kind (companies, persons, deals).")
