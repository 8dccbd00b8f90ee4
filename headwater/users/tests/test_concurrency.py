"""Membership races on PostgreSQL: real threads with their own connections, released together by a barrier.

SQLite serialises every writer (IMMEDIATE transactions), so these only mean something on PostgreSQL.
"""

from __future__ import annotations

from headwater.core.errors import NotFound, PermissionDenied, ValidationFailed
from headwater.testing.factories import AccountFactory, InvitationFactory, MembershipFactory, UserFactory
from headwater.testing.races import POSTGRES_RACE, race, rounds
from headwater.users import services
from headwater.users.models import Invitation, Membership, Role

pytestmark = POSTGRES_RACE

ROUNDS = rounds(100)


def test_two_admins_demoting_each_other_leave_one_admin():
    for round_ in range(ROUNDS):
        account = AccountFactory(slug=f"race-{round_}")
        left = MembershipFactory(account=account, role=Role.ADMIN)
        right = MembershipFactory(account=account, role=Role.ADMIN)
        results = race(
            lambda a=account, lm=left, rm=right: services.membership_change_role(
                account=a, user=lm.user, membership=rm, role="member"
            ),
            lambda a=account, lm=left, rm=right: services.membership_change_role(
                account=a, user=rm.user, membership=lm, role="member"
            ),
        )
        assert sum(isinstance(r, Membership) for r in results) == 1, results
        # The loser was no longer an admin when its turn came, or would have demoted the last admin.
        assert all(isinstance(r, Membership | ValidationFailed | PermissionDenied) for r in results), results
        assert Membership.objects.for_account(account).filter(role=Role.ADMIN).count() == 1


def test_two_admins_removing_each_other_leave_one_admin():
    for round_ in range(ROUNDS):
        account = AccountFactory(slug=f"race-rm-{round_}")
        left = MembershipFactory(account=account, role=Role.ADMIN)
        right = MembershipFactory(account=account, role=Role.ADMIN)
        race(
            lambda a=account, lm=left, rm=right: services.membership_remove(account=a, user=lm.user, membership=rm),
            lambda a=account, lm=left, rm=right: services.membership_remove(account=a, user=rm.user, membership=lm),
        )
        assert Membership.objects.for_account(account).filter(role=Role.ADMIN).count() == 1


def test_two_admins_inviting_one_address_make_one_invitation():
    for round_ in range(ROUNDS):
        account = AccountFactory(slug=f"race-inv-{round_}")
        left = MembershipFactory(account=account, role=Role.ADMIN)
        right = MembershipFactory(account=account, role=Role.ADMIN)
        email = f"new-{round_}@example.test"
        results = race(
            *(
                lambda a=account, m=m, e=email: services.invitation_create(
                    account=a, user=m.user, email=e, role="member", site_url="http://testserver"
                )
                for m in (left, right)
            )
        )
        assert sum(isinstance(r, Invitation) for r in results) == 1, results
        assert all(isinstance(r, Invitation | ValidationFailed) for r in results), results
        assert Invitation.objects.for_account(account).filter(email=email).count() == 1


def test_accepting_while_the_invitation_is_withdrawn_ends_one_way():
    for round_ in range(ROUNDS):
        account = AccountFactory(slug=f"race-acc-{round_}")
        admin = MembershipFactory(account=account, role=Role.ADMIN).user
        invitee = UserFactory()
        invitation = InvitationFactory(account=account, email=invitee.email, invited_by=admin)
        results = race(
            lambda i=invitation, u=invitee: services.invitation_accept(invitation=i, user=u),
            lambda a=account, u=admin, i=invitation: services.invitation_revoke(account=a, user=u, invitation=i),
            lambda i=invitation, u=invitee: services.invitation_accept(invitation=i, user=u),
        )
        member = Membership.objects.for_account(account).filter(user=invitee).count()
        assert member <= 1, results
        assert not Invitation.objects.for_account(account).exists()
        accepted = [r for r in results if isinstance(r, Membership)]
        # Whoever came second found the invitation gone (accepted or withdrawn): never two memberships.
        assert len(accepted) == member, results
        assert all(r is None or isinstance(r, Membership | NotFound) for r in results), results
