from __future__ import annotations

import pytest
from django.utils import timezone

from headwater.core.errors import NotFound
from headwater.testing.factories import (
    AccountFactory,
    CompanyFactory,
    DealFactory,
    InvitationFactory,
    MembershipFactory,
    PersonFactory,
)
from headwater.users import selectors
from headwater.users.models import InvitationStatus, Membership, Role, User


@pytest.mark.django_db
class TestMemberships:
    def test_membership_list_is_this_accounts_only(self, tenant, other_tenant):
        emails = [m.user.email for m in selectors.membership_list(account=tenant.account)]
        assert sorted(emails) == sorted([tenant.admin.email, tenant.member.email, tenant.viewer.email])

    def test_membership_get_answers_not_found_for_other_accounts(self, tenant, other_tenant):
        theirs = Membership.objects.for_account(other_tenant.account).get(user=other_tenant.admin)
        with pytest.raises(NotFound):
            selectors.membership_get(account=tenant.account, membership_id=theirs.pk)
        with pytest.raises(NotFound):
            selectors.membership_get(account=tenant.account, membership_id=10**9)
        mine = Membership.objects.for_account(tenant.account).get(user=tenant.viewer)
        assert selectors.membership_get(account=tenant.account, membership_id=mine.pk) == mine

    def test_account_users_excludes_inactive_and_outsiders(self, tenant, other_tenant):
        User.objects.filter(pk=tenant.viewer.pk).update(is_active=False)
        users = set(selectors.account_users(account=tenant.account))
        assert users == {tenant.admin, tenant.member}

    def test_reassign_candidates_are_other_editors_of_this_account(self, tenant, other_tenant):
        # The member is a viewer elsewhere: that must not hide them here.
        MembershipFactory(account=other_tenant.account, user=tenant.member, role=Role.VIEWER)
        assert list(selectors.reassign_candidates(account=tenant.account, leaving=tenant.admin)) == [tenant.member]
        assert list(selectors.reassign_candidates(account=tenant.account, leaving=tenant.member)) == [tenant.admin]

    def test_member_owned_counts(self, tenant, other_tenant):
        company = CompanyFactory(account=tenant.account, owner=tenant.member)
        PersonFactory(company=company, owner=tenant.member)
        DealFactory(company=company, owner=tenant.member)
        DealFactory(company=company, owner=tenant.admin)
        DealFactory(company=CompanyFactory(account=other_tenant.account), owner=tenant.member)
        counts = selectors.member_owned_counts(account=tenant.account, user=tenant.member)
        assert counts == {"companies": 1, "persons": 1, "deals": 1}

    def test_user_memberships_lists_every_account_of_the_user(self, tenant, other_tenant):
        MembershipFactory(account=other_tenant.account, user=tenant.member, role=Role.VIEWER)
        accounts = [m.account for m in selectors.user_memberships(user=tenant.member)]
        assert accounts == sorted([tenant.account, other_tenant.account], key=lambda a: a.name)

    def test_invitations_are_this_accounts_only(self, tenant, other_tenant):
        ours = InvitationFactory(account=tenant.account)
        theirs = InvitationFactory(account=other_tenant.account)
        assert list(selectors.invitation_list(account=tenant.account)) == [ours]
        with pytest.raises(NotFound):
            selectors.invitation_get(account=tenant.account, invitation_id=theirs.pk)
        assert selectors.invitation_get(account=tenant.account, invitation_id=ours.pk) == ours

    def test_a_user_sees_only_pending_invitations_to_their_proven_address(self, tenant, other_tenant):
        pending = InvitationFactory(account=other_tenant.account, email=tenant.member.email)
        InvitationFactory(account=AccountFactory(), email=tenant.member.email, status=InvitationStatus.DECLINED)
        InvitationFactory(account=AccountFactory(), email=tenant.member.email, expires_at=timezone.now())
        InvitationFactory(account=AccountFactory(), email=tenant.viewer.email)
        assert selectors.invitations_for_user(user=tenant.member) == [pending]
        assert selectors.invitation_for_user_get(user=tenant.member, invitation_id=pending.pk) == pending
        with pytest.raises(NotFound):
            selectors.invitation_for_user_get(user=tenant.viewer, invitation_id=pending.pk)
