from __future__ import annotations

import time
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from headwater.companies.models import Company
from headwater.core.errors import PermissionDenied, ValidationFailed
from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import Source
from headwater.testing.factories import (
    CompanyFactory,
    DealFactory,
    MembershipFactory,
    PersonFactory,
    UserFactory,
)
from headwater.users import services
from headwater.users.invitations import InvitationInvalid, invitation_token_make, invitation_user
from headwater.users.models import Membership, Role, User

GOOD_PASSWORD = "a sturdy passphrase 42"


def _signup(**overrides):
    data = {
        "email": "Founder@Example.test ",
        "password": GOOD_PASSWORD,
        "full_name": "Founder",
        "account_name": "Founders Inc",
        "slug": "founders",
        "currency": "pln",
        "language": "pl",
    }
    return services.user_signup(**{**data, **overrides})


@pytest.mark.django_db
class TestSignup:
    def test_creates_user_account_admin_membership_and_starter_sources(self):
        user, account = _signup()
        assert user.email == "founder@example.test"
        assert user.check_password(GOOD_PASSWORD)
        assert (account.slug, account.currency, account.language) == ("founders", "PLN", "pl")
        assert Membership.objects.for_account(account).get(user=user).role == Role.ADMIN
        sources = Source.objects.for_account(account)
        assert sources.count() == 9
        assert not account.sources_enabled
        # Named in the account's language (once the Polish catalogue is compiled) or English before that.
        assert sources.filter(name__in=["Website", "Strona internetowa", "Strona WWW"]).exists()

    def test_taken_email_is_refused_case_insensitively(self):
        _signup()
        with pytest.raises(ValidationFailed) as exc:
            _signup(email="FOUNDER@example.test", slug="other")
        assert "email" in exc.value.fields
        assert User.objects.count() == 1

    def test_invited_address_is_pointed_to_its_invitation(self, tenant):
        services.membership_add(account=tenant.account, user=tenant.admin, email="founder@example.test", role="viewer")
        with pytest.raises(ValidationFailed, match="invitation link"):
            _signup()
        assert not Account.objects.filter(slug="founders").exists()

    def test_taken_slug_is_refused_and_nothing_is_created(self):
        _signup()
        with pytest.raises(ValidationFailed) as exc:
            _signup(email="second@example.test", slug="Founders")
        assert "slug" in exc.value.fields
        assert not User.objects.filter(email="second@example.test").exists()
        assert Account.objects.count() == 1

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"password": "short"}, "password"),
            ({"password": "1234567890123"}, "password"),
            ({"account_name": "Bad\x00name"}, "account_name"),
            ({"account_name": "   "}, "account_name"),
            ({"full_name": "Nul\x00"}, "full_name"),
            ({"email": "not-an-email"}, "email"),
            ({"email": "a\x00@example.test"}, "email"),
            ({"email": "x" * 64 + "@" + ("d" * 60 + ".") * 4 + "test"}, "email"),
            ({"slug": "-bad-"}, "slug"),
            ({"slug": "ab\x00"}, "slug"),
            ({"currency": "zł"}, "currency"),
            ({"language": "de"}, "language"),
        ],
    )
    def test_bad_input_names_the_field_and_creates_nothing(self, overrides, field):
        with pytest.raises(ValidationFailed) as exc:
            _signup(**overrides)
        assert field in exc.value.fields
        assert not User.objects.exists()
        assert not Account.objects.exists()


@pytest.mark.django_db
class TestAccountCreate:
    def test_existing_user_becomes_admin_of_a_second_account(self, tenant):
        account = services.account_create(
            name="Second", slug="second", currency="EUR", language="en", owner=tenant.member
        )
        assert Membership.objects.for_account(account).get(user=tenant.member).role == Role.ADMIN
        assert Membership.objects.for_account(tenant.account).get(user=tenant.member).role == Role.MEMBER


@pytest.mark.django_db
class TestMembershipAdd:
    def test_new_email_creates_invited_user_with_unusable_password(self, tenant):
        result = services.membership_add(
            account=tenant.account, user=tenant.admin, email=" New.Person@Example.test", role="member", full_name="New"
        )
        assert result.user_created
        invitee = result.membership.user
        assert invitee.email == "new.person@example.test"
        assert not invitee.has_usable_password()
        assert result.membership.role == Role.MEMBER
        assert result.invitation_token
        assert invitation_user(token=result.invitation_token) == invitee

    def test_existing_user_gets_a_membership_and_no_invitation(self, tenant, other_tenant):
        result = services.membership_add(
            account=tenant.account, user=tenant.admin, email=other_tenant.viewer.email.upper(), role="viewer"
        )
        assert not result.user_created
        assert result.invitation_token is None
        assert result.membership.user == other_tenant.viewer
        other_tenant.viewer.refresh_from_db()
        assert other_tenant.viewer.check_password("correct horse battery")

    def test_already_a_member_is_refused(self, tenant):
        with pytest.raises(ValidationFailed) as exc:
            services.membership_add(account=tenant.account, user=tenant.admin, email=tenant.viewer.email, role="admin")
        assert "email" in exc.value.fields
        assert Membership.objects.for_account(tenant.account).get(user=tenant.viewer).role == Role.VIEWER

    @pytest.mark.parametrize(
        ("email", "role", "full_name", "field"),
        [
            ("x@example.test", "owner", "", "role"),
            ("nope", "member", "", "email"),
            ("x\x00@example.test", "member", "", "email"),
            ("x@example.test", "member", "Bad\x00", "full_name"),
            ("x@example.test", "member", "x" * 151, "full_name"),
            ("x" * 64 + "@" + ("d" * 60 + ".") * 4 + "test", "member", "", "email"),
        ],
    )
    def test_bad_input_changes_nothing(self, tenant, email, role, full_name, field):
        before = (User.objects.count(), Membership.objects.for_account(tenant.account).count())
        with pytest.raises(ValidationFailed) as exc:
            services.membership_add(
                account=tenant.account, user=tenant.admin, email=email, role=role, full_name=full_name
            )
        assert field in exc.value.fields
        assert (User.objects.count(), Membership.objects.for_account(tenant.account).count()) == before

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_only_admins_may_add(self, tenant, role):
        with pytest.raises(PermissionDenied):
            services.membership_add(
                account=tenant.account, user=getattr(tenant, role), email="x@example.test", role="admin"
            )
        assert not User.objects.filter(email="x@example.test").exists()

    def test_admin_of_another_account_may_not_add(self, tenant, other_tenant):
        with pytest.raises(PermissionDenied):
            services.membership_add(
                account=tenant.account, user=other_tenant.admin, email="x@example.test", role="admin"
            )


@pytest.mark.django_db
class TestInvitation:
    def _invite(self, tenant):
        return services.membership_add(
            account=tenant.account, user=tenant.admin, email="inv@example.test", role="viewer"
        )

    def test_accepting_sets_the_password_and_the_link_then_stops_working(self, tenant):
        token = self._invite(tenant).invitation_token
        user = services.user_accept_invitation(token=token, password=GOOD_PASSWORD)
        assert user.check_password(GOOD_PASSWORD)
        with pytest.raises(InvitationInvalid, match="already been used"):
            services.user_accept_invitation(token=token, password="another good passphrase")
        user.refresh_from_db()
        assert user.check_password(GOOD_PASSWORD)

    def test_weak_password_is_refused_and_the_link_keeps_working(self, tenant):
        token = self._invite(tenant).invitation_token
        with pytest.raises(ValidationFailed) as exc:
            services.user_accept_invitation(token=token, password="short")
        assert "password" in exc.value.fields
        assert invitation_user(token=token).email == "inv@example.test"

    def test_tampered_token_is_refused(self, tenant):
        token = self._invite(tenant).invitation_token
        body, _, signature = token.rpartition(":")
        tampered = body + ":" + ("A" if signature[0] != "A" else "B") + signature[1:]
        for bad in (tampered, token[:-3], "garbage", ""):
            with pytest.raises(InvitationInvalid, match="not valid"):
                invitation_user(token=bad)

    def test_token_for_another_user_id_cannot_be_forged(self, tenant):
        token = invitation_token_make(user=tenant.member)
        # A token signed with another key (another installation) is refused.
        with mock.patch("django.conf.settings.SECRET_KEY", "another-secret-key-entirely"):
            forged = invitation_token_make(user=tenant.viewer)
        with pytest.raises(InvitationInvalid):
            invitation_user(token=forged)
        assert invitation_user(token=token) == tenant.member

    def test_expired_token_is_refused(self, tenant, settings):
        token = self._invite(tenant).invitation_token
        settings.INVITATION_MAX_AGE_SECONDS = 3600
        with (
            mock.patch("django.core.signing.time.time", return_value=time.time() + 3601),
            pytest.raises(InvitationInvalid, match="expired"),
        ):
            invitation_user(token=token)
        with mock.patch("django.core.signing.time.time", return_value=time.time() + 3500):
            assert invitation_user(token=token).email == "inv@example.test"

    def test_deactivated_user_cannot_use_the_link(self, tenant):
        result = self._invite(tenant)
        User.objects.filter(pk=result.membership.user_id).update(is_active=False)
        with pytest.raises(InvitationInvalid):
            invitation_user(token=result.invitation_token)

    def test_renew_gives_a_new_working_link(self, tenant):
        result = self._invite(tenant)
        token = services.membership_invitation_renew(
            account=tenant.account, user=tenant.admin, membership=result.membership
        )
        assert invitation_user(token=token) == result.membership.user

    def test_renew_is_refused_for_a_user_who_also_belongs_elsewhere(self, tenant, other_tenant):
        result = self._invite(tenant)
        services.membership_add(
            account=other_tenant.account, user=other_tenant.admin, email="inv@example.test", role="member"
        )
        membership = Membership.objects.for_account(other_tenant.account).get(user=result.membership.user)
        with pytest.raises(ValidationFailed):
            services.membership_invitation_renew(
                account=other_tenant.account, user=other_tenant.admin, membership=membership
            )

    def test_renew_is_refused_once_a_password_is_set(self, tenant):
        membership = Membership.objects.for_account(tenant.account).get(user=tenant.member)
        with pytest.raises(ValidationFailed):
            services.membership_invitation_renew(account=tenant.account, user=tenant.admin, membership=membership)


@pytest.mark.django_db
class TestChangeRole:
    def _membership(self, tenant, user):
        return Membership.objects.for_account(tenant.account).get(user=user)

    def test_admin_changes_a_role(self, tenant):
        m = services.membership_change_role(
            account=tenant.account, user=tenant.admin, membership=self._membership(tenant, tenant.viewer), role="member"
        )
        assert m.role == Role.MEMBER
        assert self._membership(tenant, tenant.viewer).role == Role.MEMBER

    def test_the_last_admin_cannot_be_demoted(self, tenant):
        with pytest.raises(ValidationFailed, match="only admin") as exc:
            services.membership_change_role(
                account=tenant.account,
                user=tenant.admin,
                membership=self._membership(tenant, tenant.admin),
                role="member",
            )
        assert "role" in exc.value.fields
        assert self._membership(tenant, tenant.admin).role == Role.ADMIN

    def test_an_admin_may_step_down_when_another_admin_exists(self, tenant):
        services.membership_change_role(
            account=tenant.account, user=tenant.admin, membership=self._membership(tenant, tenant.member), role="admin"
        )
        services.membership_change_role(
            account=tenant.account, user=tenant.admin, membership=self._membership(tenant, tenant.admin), role="viewer"
        )
        assert self._membership(tenant, tenant.admin).role == Role.VIEWER

    def test_inactive_admin_does_not_count_as_the_other_admin(self, tenant):
        ghost = MembershipFactory(account=tenant.account, role=Role.ADMIN).user
        User.objects.filter(pk=ghost.pk).update(is_active=False)
        with pytest.raises(ValidationFailed):
            services.membership_change_role(
                account=tenant.account,
                user=tenant.admin,
                membership=self._membership(tenant, tenant.admin),
                role="member",
            )

    def test_member_cannot_change_roles(self, tenant):
        with pytest.raises(PermissionDenied):
            services.membership_change_role(
                account=tenant.account,
                user=tenant.member,
                membership=self._membership(tenant, tenant.member),
                role="admin",
            )
        assert self._membership(tenant, tenant.member).role == Role.MEMBER

    def test_membership_of_another_account_is_refused(self, tenant, other_tenant):
        theirs = Membership.objects.for_account(other_tenant.account).get(user=other_tenant.viewer)
        with pytest.raises(ValidationFailed):
            services.membership_change_role(account=tenant.account, user=tenant.admin, membership=theirs, role="admin")
        theirs.refresh_from_db()
        assert theirs.role == Role.VIEWER

    def test_unknown_role_is_refused(self, tenant):
        with pytest.raises(ValidationFailed) as exc:
            services.membership_change_role(
                account=tenant.account,
                user=tenant.admin,
                membership=self._membership(tenant, tenant.viewer),
                role="god",
            )
        assert "role" in exc.value.fields


@pytest.mark.django_db
class TestRemove:
    @pytest.fixture
    def owned(self, tenant, other_tenant):
        """The member owns 2 companies, 1 person and 3 deals here, and a deal in the other account."""
        companies = [CompanyFactory(account=tenant.account, owner=tenant.member) for _ in range(2)]
        person = PersonFactory(company=companies[0], owner=tenant.member)
        deals = [DealFactory(company=companies[1], owner=tenant.member) for _ in range(3)]
        kept = DealFactory(company=CompanyFactory(account=tenant.account), owner=tenant.admin)
        MembershipFactory(account=other_tenant.account, user=tenant.member)
        elsewhere = DealFactory(company=CompanyFactory(account=other_tenant.account), owner=tenant.member)
        return {"companies": companies, "person": person, "deals": deals, "kept": kept, "elsewhere": elsewhere}

    def _membership(self, tenant, user):
        return Membership.objects.for_account(tenant.account).get(user=user)

    def test_reassigns_records_with_one_update_per_model(self, tenant, owned):
        with CaptureQueriesContext(connection) as ctx:
            result = services.membership_remove(
                account=tenant.account,
                user=tenant.admin,
                membership=self._membership(tenant, tenant.member),
                reassign_to=tenant.admin,
            )
        assert result.records == {"companies": 2, "persons": 1, "deals": 3}
        updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
        assert len(updates) == 3
        assert Company.objects.for_account(tenant.account).filter(owner=tenant.admin).count() == 2
        assert Person.objects.for_account(tenant.account).filter(owner=tenant.admin).count() == 1
        assert Deal.objects.for_account(tenant.account).filter(owner=tenant.admin).count() == 4
        assert not Membership.objects.for_account(tenant.account).filter(user=tenant.member).exists()
        # Their records in another account and their user stay untouched; versions moved so stale edits conflict.
        owned["elsewhere"].refresh_from_db()
        assert owned["elsewhere"].owner == tenant.member
        assert User.objects.filter(pk=tenant.member.pk).exists()
        deal = owned["deals"][0]
        deal.refresh_from_db()
        assert deal.version == 2

    def test_leaves_records_ownerless(self, tenant, owned):
        result = services.membership_remove(
            account=tenant.account, user=tenant.admin, membership=self._membership(tenant, tenant.member)
        )
        assert result.records == {"companies": 2, "persons": 1, "deals": 3}
        assert Deal.objects.for_account(tenant.account).filter(owner__isnull=True).count() == 3
        assert Deal.objects.for_account(tenant.account).count() == 4
        owned["kept"].refresh_from_db()
        assert owned["kept"].owner == tenant.admin

    def test_cannot_reassign_to_a_viewer_an_outsider_or_the_leaver(self, tenant, other_tenant, owned):
        membership = self._membership(tenant, tenant.member)
        for target in (tenant.viewer, other_tenant.admin, tenant.member):
            with pytest.raises(ValidationFailed) as exc:
                services.membership_remove(
                    account=tenant.account, user=tenant.admin, membership=membership, reassign_to=target
                )
            assert "reassign_to" in exc.value.fields
        assert Membership.objects.for_account(tenant.account).filter(user=tenant.member).exists()
        assert Deal.objects.for_account(tenant.account).filter(owner=tenant.member).count() == 3

    def test_the_last_admin_cannot_be_removed(self, tenant):
        with pytest.raises(ValidationFailed, match="only admin"):
            services.membership_remove(
                account=tenant.account, user=tenant.admin, membership=self._membership(tenant, tenant.admin)
            )
        assert self._membership(tenant, tenant.admin).role == Role.ADMIN

    def test_an_admin_may_leave_when_another_admin_exists(self, tenant):
        MembershipFactory(account=tenant.account, role=Role.ADMIN)
        services.membership_remove(
            account=tenant.account, user=tenant.admin, membership=self._membership(tenant, tenant.admin)
        )
        assert not Membership.objects.for_account(tenant.account).filter(user=tenant.admin).exists()

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_only_admins_may_remove(self, tenant, owned, role):
        with pytest.raises(PermissionDenied):
            services.membership_remove(
                account=tenant.account, user=getattr(tenant, role), membership=self._membership(tenant, tenant.member)
            )
        assert Deal.objects.for_account(tenant.account).filter(owner=tenant.member).count() == 3

    def test_membership_of_another_account_is_refused(self, tenant, other_tenant):
        theirs = Membership.objects.for_account(other_tenant.account).get(user=other_tenant.member)
        with pytest.raises(ValidationFailed):
            services.membership_remove(account=tenant.account, user=tenant.admin, membership=theirs)
        assert Membership.objects.for_account(other_tenant.account).filter(pk=theirs.pk).exists()

    def test_a_failure_midway_rolls_everything_back(self, tenant, owned):
        membership = self._membership(tenant, tenant.member)
        with (
            mock.patch.object(Membership, "delete", side_effect=RuntimeError("boom")),
            pytest.raises(RuntimeError),
        ):
            services.membership_remove(
                account=tenant.account, user=tenant.admin, membership=membership, reassign_to=tenant.admin
            )
        assert Deal.objects.for_account(tenant.account).filter(owner=tenant.member).count() == 3
        assert Company.objects.for_account(tenant.account).filter(owner=tenant.member).count() == 2


@pytest.mark.django_db
def test_update_profile_refuses_nul(tenant):
    with pytest.raises(ValidationFailed):
        services.user_update_profile(user=tenant.member, full_name="x\x00")
    services.user_update_profile(user=tenant.member, full_name="  Ada Lovelace ")
    tenant.member.refresh_from_db()
    assert tenant.member.full_name == "Ada Lovelace"


@pytest.mark.django_db
def test_factories_build_a_second_user_unrelated(tenant):
    # Guard for the fixtures the tests above rely on: the tenant has exactly one admin.
    assert Membership.objects.for_account(tenant.account).filter(role=Role.ADMIN).count() == 1
    assert UserFactory().memberships.count() == 0


@pytest.mark.django_db
@hypothesis_settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    email=st.one_of(st.emails(), st.text(max_size=80)),
    full_name=st.text(max_size=200),
    role=st.sampled_from(["admin", "member", "viewer", "x", ""]),
)
def test_membership_add_never_fails_unexpectedly(tenant, email, full_name, role):
    """Whatever is typed: either a membership or a ValidationFailed naming a field; never another error."""
    before = Membership.objects.for_account(tenant.account).count()
    error = None
    try:
        with transaction.atomic():
            result = services.membership_add(
                account=tenant.account, user=tenant.admin, email=email, role=role, full_name=full_name
            )
            assert result.membership.user.email == email.strip().lower()
            transaction.set_rollback(True)
    except ValidationFailed as exc:
        error = exc
    if error is not None:
        assert error.fields
        assert set(error.fields) <= {"email", "role", "full_name"}
    assert Membership.objects.for_account(tenant.account).count() == before
