"""Membership races on PostgreSQL: real threads with their own connections, released together by a barrier.

SQLite serialises every writer (IMMEDIATE transactions), so these only mean something on PostgreSQL.
"""

from __future__ import annotations

from headwater.core.errors import PermissionDenied, ValidationFailed
from headwater.testing.factories import AccountFactory, MembershipFactory
from headwater.testing.races import POSTGRES_RACE, race, rounds
from headwater.users import services
from headwater.users.models import Membership, Role, User

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


def test_two_accounts_adding_the_same_new_address_share_one_user():
    for round_ in range(ROUNDS):
        first = MembershipFactory(account=AccountFactory(slug=f"race-a-{round_}"), role=Role.ADMIN)
        second = MembershipFactory(account=AccountFactory(slug=f"race-b-{round_}"), role=Role.ADMIN)
        email = f"new-{round_}@example.test"
        results = race(
            lambda m=first, e=email: services.membership_add(account=m.account, user=m.user, email=e, role="member"),
            lambda m=second, e=email: services.membership_add(account=m.account, user=m.user, email=e, role="member"),
        )
        assert all(isinstance(r, services.MembershipAdded) for r in results), results
        assert User.objects.filter(email=email).count() == 1
        assert sum(r.user_created for r in results) == 1
        assert Membership.unscoped.filter(user__email=email).count() == 2
