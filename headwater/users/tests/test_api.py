"""API: /me, the members resource (read for everyone, write for admins) and invitations (admins)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from headwater.records.tests.api_contract import error_of
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, InvitationFactory
from headwater.testing.mail import last_link
from headwater.users.models import Invitation, Membership, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_counters():
    cache.clear()


def _roles(account):
    return sorted(Membership.objects.for_account(account).values_list("user__email", "role"))


def test_me_describes_user_membership_and_account(tenant):
    body = api_for(tenant, "member").get("me").json()
    assert body["user"] == {"id": tenant.member.pk, "email": "member@alpha.test", "full_name": "Member of Alpha"}
    assert body["membership"]["role"] == "member"
    assert body["account"]["slug"] == "alpha"
    assert body["account"]["currency"] == "PLN"
    assert body["account"]["sources_enabled"] is False


def test_members_list_for_every_role_and_only_this_account(tenant, other_tenant):
    for role in ("viewer", "member", "admin"):
        response = api_for(tenant, role).get("members")
        assert response.status_code == 200
        emails = sorted(m["email"] for m in response.json()["items"])
        assert emails == ["admin@alpha.test", "member@alpha.test", "viewer@alpha.test"]
        assert b"bravo" not in response.content


def test_member_get_other_account_is_404(tenant, other_tenant):
    theirs = Membership.objects.for_account(other_tenant.account).first()
    error_of(api_for(tenant, "admin").get(f"members/{theirs.pk}"), 404)
    ours = Membership.objects.for_account(tenant.account).get(user=tenant.viewer)
    assert api_for(tenant, "viewer").get(f"members/{ours.pk}").json()["role"] == "viewer"


def test_adding_a_member_is_an_invitation_whatever_the_address(tenant, other_tenant):
    api = api_for(tenant, "admin")
    existing = api.post("members", {"email": "MEMBER@bravo.test", "role": "viewer"})
    new = api.post("members", {"email": "new.person@example.test", "role": "viewer"})
    assert existing.status_code == new.status_code == 201, existing.content
    # The same answer: the address as typed (lower case), the role, pending; no user id, no name.
    shape = {"email", "role", "status", "id", "created_at", "sent_at", "expires_at", "invited_by_id"}
    assert set(existing.json()) == set(new.json()) == shape
    assert existing.json()["email"] == "member@bravo.test"
    assert (existing.json()["status"], existing.json()["invited_by_id"]) == ("pending", tenant.admin.pk)
    assert not Membership.objects.for_account(tenant.account).filter(user=other_tenant.member).exists()
    assert not User.objects.filter(email="new.person@example.test").exists()
    assert [m.to for m in mail.outbox] == [["member@bravo.test"], ["new.person@example.test"]]
    duplicate = error_of(api.post("members", {"email": "new.person@example.test", "role": "viewer"}), 400)
    assert "email" in duplicate["fields"]
    error = error_of(api.post("members", {"email": "x@example.test", "role": "viewer", "full_name": "X"}), 422)
    assert "full_name" in error["fields"]
    assert error_of(api.post("members", {"email": "x@example.test", "role": "owner"}), 422)


def test_invitations_are_listed_renewed_and_withdrawn(tenant):
    api = api_for(tenant, "admin")
    created = api.post("members", {"email": "inv@example.test", "role": "viewer"}).json()
    first_link = last_link("inv@example.test")
    listed = api.get("invitations").json()
    assert [i["email"] for i in listed["items"]] == ["inv@example.test"]
    assert api.get(f"invitations/{created['id']}").json()["role"] == "viewer"
    renewed = api.post(f"invitations/{created['id']}/renew", {"role": "member"})
    assert renewed.status_code == 200
    assert renewed.json()["role"] == "member"
    assert Client().get(first_link).status_code == 400
    second_link = last_link("inv@example.test")
    assert Client().get(second_link).status_code == 200
    assert api.delete(f"invitations/{created['id']}").status_code == 204
    assert Client().get(second_link).status_code == 400
    error_of(api.get(f"invitations/{created['id']}"), 404)
    error_of(api.post(f"invitations/{created['id']}/renew", {}), 404)


def test_invitations_of_another_account_are_404(tenant, other_tenant):
    theirs = InvitationFactory(account=other_tenant.account)
    api = api_for(tenant, "admin")
    error_of(api.get(f"invitations/{theirs.pk}"), 404)
    error_of(api.post(f"invitations/{theirs.pk}/renew", {}), 404)
    error_of(api.delete(f"invitations/{theirs.pk}"), 404)
    assert api.get("invitations").json()["items"] == []
    assert Invitation.objects.for_account(other_tenant.account).get().token_hash == theirs.token_hash
    assert not mail.outbox


def test_admin_changes_a_role_but_not_the_last_admin(tenant):
    api = api_for(tenant, "admin")
    viewer = Membership.objects.for_account(tenant.account).get(user=tenant.viewer)
    assert api.patch(f"members/{viewer.pk}", {"role": "member"}).json()["role"] == "member"
    admin = Membership.objects.for_account(tenant.account).get(user=tenant.admin)
    error = error_of(api.patch(f"members/{admin.pk}", {"role": "viewer"}), 400)
    assert "role" in error["fields"]
    assert Membership.objects.for_account(tenant.account).get(pk=admin.pk).role == Role.ADMIN


def test_admin_removes_a_member_and_reassigns_their_records(tenant, other_tenant):
    company = CompanyFactory(account=tenant.account, owner=tenant.member)
    api = api_for(tenant, "admin")
    leaving = Membership.objects.for_account(tenant.account).get(user=tenant.member)
    error = error_of(api.delete(f"members/{leaving.pk}", {"reassign_to_id": other_tenant.admin.pk}), 400)
    assert list(error["fields"]) == ["reassign_to_id"]
    body = api.delete(f"members/{leaving.pk}", {"reassign_to_id": tenant.admin.pk}).json()
    assert body == {"reassigned_to_id": tenant.admin.pk, "records": {"companies": 1, "persons": 0, "deals": 0}}
    company.refresh_from_db()
    assert company.owner_id == tenant.admin.pk
    assert not Membership.objects.for_account(tenant.account).filter(user=tenant.member).exists()


def test_removed_member_token_stops_at_once(tenant):
    member_api = api_for(tenant, "member")
    leaving = Membership.objects.for_account(tenant.account).get(user=tenant.member)
    assert api_for(tenant, "admin").delete(f"members/{leaving.pk}").status_code == 200
    error_of(member_api.get("me"), 401)


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_manage_members(tenant, role):
    api = api_for(tenant, role)
    before = _roles(tenant.account)
    viewer = Membership.objects.for_account(tenant.account).get(user=tenant.viewer)
    invitation = InvitationFactory(account=tenant.account)
    for response in (
        api.post("members", {"email": "someone@example.test", "role": "admin"}),
        api.patch(f"members/{viewer.pk}", {"role": "admin"}),
        api.delete(f"members/{viewer.pk}"),
        api.get("invitations"),
        api.get(f"invitations/{invitation.pk}"),
        api.post(f"invitations/{invitation.pk}/renew", {}),
        api.delete(f"invitations/{invitation.pk}"),
    ):
        assert error_of(response, 403)["code"] == "permission_denied"
    assert _roles(tenant.account) == before
    assert list(Invitation.objects.for_account(tenant.account)) == [invitation]
    assert not mail.outbox


def test_admin_cannot_touch_other_account_members(tenant, other_tenant):
    theirs = Membership.objects.for_account(other_tenant.account).get(user=other_tenant.viewer)
    api = api_for(tenant, "admin")
    error_of(api.patch(f"members/{theirs.pk}", {"role": "admin"}), 404)
    error_of(api.delete(f"members/{theirs.pk}"), 404)
    assert Membership.objects.for_account(other_tenant.account).get(pk=theirs.pk).role == Role.VIEWER


def test_role_cannot_be_mass_assigned_on_add(tenant):
    error = error_of(
        api_for(tenant, "admin").post("members", {"email": "a@example.test", "role": "viewer", "account_id": 2}), 422
    )
    assert "account_id" in error["fields"]
    assert not Invitation.objects.for_account(tenant.account).exists()
