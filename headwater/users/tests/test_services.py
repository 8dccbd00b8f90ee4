from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from headwater.companies.models import Company
from headwater.core.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed
from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import Source
from headwater.testing.factories import (
    CompanyFactory,
    DealFactory,
    InvitationFactory,
    MembershipFactory,
    PersonFactory,
    UserFactory,
)
from headwater.testing.leaks import run_measured
from headwater.testing.mail import last_link, sent_to
from headwater.users import links, selectors, services
from headwater.users.emails import EmailNotSent
from headwater.users.models import Invitation, InvitationStatus, Membership, Role, User

GOOD_PASSWORD = "a sturdy passphrase 42"
SITE = "http://testserver"


def _token(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _request(email="Founder@Example.test ", full_name="Founder", language="pl"):
    return services.user_signup_request(email=email, full_name=full_name, language=language, site_url=SITE)


@pytest.mark.django_db
class TestSignup:
    def test_request_stores_nothing_and_mails_a_signed_link(self):
        assert _request() == "founder@example.test"
        assert not User.objects.exists()
        [message] = mail.outbox
        assert message.to == ["founder@example.test"]
        path = last_link("founder@example.test")
        assert path.startswith("/signup/confirm/")
        claim = links.signup_token_read(_token(path))
        assert (claim.email, claim.full_name, claim.language) == ("founder@example.test", "Founder", "pl")

    def test_confirm_creates_a_confirmed_user_with_the_password_chosen_then(self):
        _request()
        token = _token(last_link("founder@example.test"))
        user = services.user_signup_confirm(token=token, full_name=" Founder F. ", password=GOOD_PASSWORD)
        assert user.email == "founder@example.test"
        assert user.full_name == "Founder F."
        assert user.check_password(GOOD_PASSWORD)
        assert user.email_confirmed
        assert user.language == "pl"
        assert not Membership.unscoped.filter(user=user).exists()
        # The link works once: the address has a user now.
        with pytest.raises(links.LinkInvalid):
            services.user_signup_confirm(token=token, full_name="Someone", password="another good passphrase")
        user.refresh_from_db()
        assert user.check_password(GOOD_PASSWORD)

    def test_a_registered_address_gets_a_note_not_a_link(self, tenant):
        _request(email=tenant.member.email.upper())
        [message] = sent_to(tenant.member.email)
        assert "/signup/confirm/" not in message.body
        assert "/login/" in message.body
        tenant.member.refresh_from_db()
        assert tenant.member.check_password("correct horse battery")

    def test_an_invited_address_signs_up_like_a_free_one(self, tenant):
        services.invitation_create(
            account=tenant.account, user=tenant.admin, email="founder@example.test", role="viewer", site_url=SITE
        )
        mail.outbox.clear()
        _request()
        assert last_link("founder@example.test").startswith("/signup/confirm/")
        assert not Membership.objects.for_account(tenant.account).filter(user__email="founder@example.test").exists()

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"full_name": "Nul\x00"}, "full_name"),
            ({"full_name": "   "}, "full_name"),
            ({"full_name": "x" * 151}, "full_name"),
            ({"email": "not-an-email"}, "email"),
            ({"email": "a\x00@example.test"}, "email"),
            ({"email": "x" * 64 + "@" + ("d" * 60 + ".") * 4 + "test"}, "email"),
        ],
    )
    def test_bad_input_names_the_field_and_sends_nothing(self, overrides, field):
        with pytest.raises(ValidationFailed) as exc:
            _request(**overrides)
        assert field in exc.value.fields
        assert not mail.outbox

    @pytest.mark.parametrize(
        ("password", "full_name"), [("short", "Founder"), ("1234567890123", "Founder"), (GOOD_PASSWORD, "Bad\x00")]
    )
    def test_confirm_refuses_bad_input_and_the_link_keeps_working(self, password, full_name):
        _request()
        token = _token(last_link("founder@example.test"))
        with pytest.raises(ValidationFailed):
            services.user_signup_confirm(token=token, full_name=full_name, password=password)
        assert not User.objects.exists()
        assert selectors.signup_claim(token=token).email == "founder@example.test"

    def test_tampered_forged_and_expired_links_are_refused(self, settings):
        _request()
        token = _token(last_link("founder@example.test"))
        body, _, signature = token.rpartition(":")
        tampered = body + ":" + ("A" if signature[0] != "A" else "B") + signature[1:]
        for bad in (tampered, token[:-3], "garbage", ""):
            with pytest.raises(links.LinkInvalid, match="not valid"):
                selectors.signup_claim(token=bad)
        with mock.patch("django.conf.settings.SECRET_KEY", "another-secret-key-entirely"):
            forged = links.signup_token_make(email="victim@example.test", full_name="X", language="en")
        with pytest.raises(links.LinkInvalid):
            selectors.signup_claim(token=forged)
        settings.SIGNUP_LINK_MAX_AGE_SECONDS = 3600
        with (
            mock.patch("django.core.signing.time.time", return_value=time.time() + 3601),
            pytest.raises(links.LinkInvalid, match="expired"),
        ):
            selectors.signup_claim(token=token)

    def test_a_mail_server_failure_is_a_clear_error(self):
        with (
            mock.patch("headwater.users.emails.send_mail", side_effect=ConnectionRefusedError),
            pytest.raises(EmailNotSent),
        ):
            _request()


@pytest.mark.django_db
class TestEmailConfirmation:
    def test_a_login_from_before_confirms_through_its_link(self, tenant):
        User.objects.filter(pk=tenant.member.pk).update(email_confirmed_at=None)
        tenant.member.refresh_from_db()
        services.user_email_confirmation_send(user=tenant.member, site_url=SITE)
        services.user_email_confirmation_send(user=tenant.member, site_url=SITE)  # throttled: one e-mail
        assert len(sent_to(tenant.member.email)) == 1
        user = services.user_email_confirm(token=_token(last_link(tenant.member.email)))
        assert user.email_confirmed


@pytest.mark.django_db
class TestAccountCreate:
    def test_existing_user_becomes_admin_of_a_second_account(self, tenant):
        account = services.account_create(
            name="Second", slug="second", currency="EUR", language="en", owner=tenant.member
        )
        assert Membership.objects.for_account(account).get(user=tenant.member).role == Role.ADMIN
        assert Membership.objects.for_account(tenant.account).get(user=tenant.member).role == Role.MEMBER

    def test_a_new_account_gets_the_starter_sources_in_its_language(self, tenant):
        account = services.account_create(
            name="Trzecie", slug="trzecie", currency="pln", language="pl", owner=tenant.member
        )
        sources = Source.objects.for_account(account)
        # The nine starter sources, and the two the default lead-capture rules need (capture seeds them).
        assert sources.count() == 11
        assert not account.sources_enabled
        assert sources.filter(name__in=["Website", "Strona internetowa", "Strona WWW"]).exists()

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"name": "Bad\x00name"}, "name"),
            ({"name": "   "}, "name"),
            ({"slug": "-bad-"}, "slug"),
            ({"slug": "ab\x00"}, "slug"),
            ({"currency": "zł"}, "currency"),
            ({"language": "de"}, "language"),
        ],
    )
    def test_bad_input_names_the_field_and_creates_nothing(self, tenant, overrides, field):
        data = {"name": "Founders", "slug": "founders", "currency": "PLN", "language": "pl", **overrides}
        with pytest.raises(ValidationFailed) as exc:
            services.account_create(owner=tenant.member, **data)
        assert field in exc.value.fields
        assert not Account.objects.filter(slug="founders").exists()


def _invite(tenant, email="inv@example.test", role="viewer"):
    return services.invitation_create(account=tenant.account, user=tenant.admin, email=email, role=role, site_url=SITE)


@pytest.mark.django_db
class TestInvitationCreate:
    def test_an_invitation_binds_nobody_and_mails_a_link(self, tenant):
        invitation = _invite(tenant, email=" New.Person@Example.test", role="member")
        assert (invitation.email, invitation.role, invitation.state) == ("new.person@example.test", "member", "pending")
        assert invitation.invited_by == tenant.admin
        assert not User.objects.filter(email="new.person@example.test").exists()
        path = last_link("new.person@example.test")
        assert path.startswith("/invitation/")
        # Only a hash of the link's secret is stored.
        assert _token(path) not in invitation.token_hash
        assert selectors.invitation_by_token(token=_token(path)) == invitation

    def test_an_existing_user_is_invited_exactly_like_a_new_address(self, tenant, other_tenant):
        a, known, _ = run_measured(lambda: _invite(tenant, email=other_tenant.viewer.email.upper()))
        b, unknown, _ = run_measured(lambda: _invite(tenant, email="nobody-yet@example.test"))
        # Nothing about the address is looked up: the same statements, whoever owns it.
        assert known == unknown
        assert not Membership.objects.for_account(tenant.account).filter(user=other_tenant.viewer).exists()
        assert (a.state, b.state) == ("pending", "pending")
        other_tenant.viewer.refresh_from_db()
        assert other_tenant.viewer.check_password("correct horse battery")

    def test_already_a_member_or_pending_is_refused(self, tenant):
        with pytest.raises(ValidationFailed) as exc:
            _invite(tenant, email=tenant.viewer.email, role="admin")
        assert "email" in exc.value.fields
        _invite(tenant)
        with pytest.raises(ValidationFailed, match="pending invitation"):
            _invite(tenant)
        assert Invitation.objects.for_account(tenant.account).count() == 1

    def test_a_declined_or_expired_invitation_is_sent_afresh(self, tenant):
        first = _invite(tenant)
        Invitation.objects.for_account(tenant.account).filter(pk=first.pk).update(status=InvitationStatus.DECLINED)
        again = _invite(tenant, role="admin")
        assert (again.pk, again.state, again.role) == (first.pk, "pending", "admin")
        Invitation.objects.for_account(tenant.account).filter(pk=first.pk).update(expires_at=timezone.now())
        assert _invite(tenant).state == "pending"

    @pytest.mark.parametrize(
        ("email", "role", "field"),
        [
            ("x@example.test", "owner", "role"),
            ("nope", "member", "email"),
            ("x\x00@example.test", "member", "email"),
            ("x" * 64 + "@" + ("d" * 60 + ".") * 4 + "test", "member", "email"),
        ],
    )
    def test_bad_input_changes_nothing(self, tenant, email, role, field):
        with pytest.raises(ValidationFailed) as exc:
            _invite(tenant, email=email, role=role)
        assert field in exc.value.fields
        assert not Invitation.objects.for_account(tenant.account).exists()
        assert not mail.outbox

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_only_admins_may_invite(self, tenant, role):
        with pytest.raises(PermissionDenied):
            services.invitation_create(
                account=tenant.account, user=getattr(tenant, role), email="x@example.test", role="admin", site_url=SITE
            )
        assert not Invitation.objects.for_account(tenant.account).exists()

    def test_admin_of_another_account_may_not_invite(self, tenant, other_tenant):
        with pytest.raises(PermissionDenied):
            services.invitation_create(
                account=tenant.account, user=other_tenant.admin, email="x@example.test", role="admin", site_url=SITE
            )

    def test_an_account_cannot_mail_strangers_in_bulk(self, tenant, settings):
        settings.INVITATION_THROTTLE_PER_HOUR = 2
        _invite(tenant, email="a@example.test")
        _invite(tenant, email="b@example.test")
        with pytest.raises(RateLimited):
            _invite(tenant, email="c@example.test")
        assert not Invitation.objects.for_account(tenant.account).filter(email="c@example.test").exists()

    def test_a_mail_server_failure_rolls_the_invitation_back(self, tenant):
        with (
            mock.patch("headwater.users.emails.send_mail", side_effect=OSError("no route")),
            pytest.raises(EmailNotSent),
        ):
            _invite(tenant)
        assert not Invitation.objects.for_account(tenant.account).exists()

    def test_a_line_break_in_the_account_name_cannot_break_the_mail_header(self, tenant):
        Account.objects.filter(pk=tenant.account.pk).update(name="Alpha\nBcc: victim@example.test")
        tenant.account.refresh_from_db()
        _invite(tenant)
        [message] = mail.outbox
        assert "\n" not in message.subject


@pytest.mark.django_db
class TestInvitationLinks:
    def test_renewing_kills_the_earlier_link(self, tenant):
        invitation = _invite(tenant)
        old = _token(last_link("inv@example.test"))
        services.invitation_renew(account=tenant.account, user=tenant.admin, invitation=invitation, site_url=SITE)
        new = _token(last_link("inv@example.test"))
        assert new != old
        with pytest.raises(links.LinkInvalid, match="no longer works"):
            selectors.invitation_by_token(token=old)
        assert selectors.invitation_by_token(token=new) == invitation

    def test_revoking_kills_every_link(self, tenant):
        invitation = _invite(tenant)
        token = _token(last_link("inv@example.test"))
        services.invitation_revoke(account=tenant.account, user=tenant.admin, invitation=invitation)
        with pytest.raises(links.LinkInvalid):
            selectors.invitation_by_token(token=token)
        assert not Invitation.objects.for_account(tenant.account).exists()

    def test_an_expired_link_says_so(self, tenant):
        invitation = _invite(tenant)
        token = _token(last_link("inv@example.test"))
        Invitation.objects.for_account(tenant.account).filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        with pytest.raises(links.LinkInvalid, match="expired"):
            selectors.invitation_by_token(token=token)

    def test_another_accounts_admin_cannot_renew_or_revoke(self, tenant, other_tenant):
        invitation = _invite(tenant)
        for call in (
            lambda: services.invitation_renew(
                account=other_tenant.account, user=other_tenant.admin, invitation=invitation, site_url=SITE
            ),
            lambda: services.invitation_revoke(
                account=other_tenant.account, user=other_tenant.admin, invitation=invitation
            ),
        ):
            with pytest.raises(NotFound):
                call()
        assert Invitation.objects.for_account(tenant.account).get().token_hash == invitation.token_hash


@pytest.mark.django_db
class TestInvitationAnswer:
    def test_an_existing_user_accepts_and_gets_the_role(self, tenant, other_tenant):
        invitation = _invite(tenant, email=other_tenant.member.email, role="viewer")
        assert selectors.invitations_for_user(user=other_tenant.member) == [invitation]
        membership = services.invitation_accept(invitation=invitation, user=other_tenant.member)
        assert (membership.account, membership.user, membership.role) == (tenant.account, other_tenant.member, "viewer")
        assert not Invitation.objects.for_account(tenant.account).exists()
        assert selectors.invitations_for_user(user=other_tenant.member) == []

    def test_nobody_else_can_accept_it(self, tenant, other_tenant):
        invitation = _invite(tenant, email=other_tenant.member.email)
        for intruder in (other_tenant.viewer, tenant.member):
            with pytest.raises(NotFound):
                services.invitation_accept(invitation=invitation, user=intruder)
        User.objects.filter(pk=other_tenant.member.pk).update(email_confirmed_at=None)
        other_tenant.member.refresh_from_db()
        # An address nobody has proven is bound to nothing, even with the right e-mail.
        assert selectors.invitations_for_user(user=other_tenant.member) == []
        with pytest.raises(NotFound):
            services.invitation_accept(invitation=invitation, user=other_tenant.member)
        assert not Membership.objects.for_account(tenant.account).filter(user=other_tenant.member).exists()

    def test_declining_shows_declined_and_kills_the_link(self, tenant, other_tenant):
        invitation = _invite(tenant, email=other_tenant.member.email)
        token = _token(last_link(other_tenant.member.email))
        services.invitation_decline(invitation=invitation, user=other_tenant.member)
        invitation.refresh_from_db()
        assert invitation.state == "declined"
        with pytest.raises(links.LinkInvalid):
            selectors.invitation_by_token(token=token)
        with pytest.raises(NotFound):
            services.invitation_accept(invitation=invitation, user=other_tenant.member)

    def test_someone_new_creates_a_confirmed_login_from_the_link(self, tenant):
        _invite(tenant, email="New@Example.test", role="member")
        token = _token(last_link("new@example.test"))
        user, membership = services.user_create_from_invitation(
            token=token, full_name="New Person", password=GOOD_PASSWORD, language="pl"
        )
        assert (user.email, user.email_confirmed, user.language) == ("new@example.test", True, "pl")
        assert (membership.account, membership.role) == (tenant.account, "member")
        with pytest.raises(links.LinkInvalid):
            services.user_create_from_invitation(token=token, full_name="Again", password=GOOD_PASSWORD, language="en")

    def test_the_link_cannot_make_a_second_login_for_a_registered_address(self, tenant, other_tenant):
        _invite(tenant, email=other_tenant.member.email)
        token = _token(last_link(other_tenant.member.email))
        with pytest.raises(links.LinkInvalid, match="log in"):
            services.user_create_from_invitation(token=token, full_name="X", password=GOOD_PASSWORD, language="en")
        other_tenant.member.refresh_from_db()
        assert other_tenant.member.check_password("correct horse battery")

    def test_an_invitation_to_an_existing_member_is_answered_without_a_second_membership(self, tenant):
        invitation = InvitationFactory(account=tenant.account, email=tenant.viewer.email, role=Role.ADMIN)
        membership = services.invitation_accept(invitation=invitation, user=tenant.viewer)
        assert membership.role == Role.VIEWER
        assert Membership.objects.for_account(tenant.account).filter(user=tenant.viewer).count() == 1


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
    role=st.sampled_from(["admin", "member", "viewer", "x", ""]),
)
def test_invitation_create_never_fails_unexpectedly(tenant, settings, email, role):
    """Whatever is typed: either an invitation or a ValidationFailed naming a field; never another error."""
    settings.INVITATION_THROTTLE_PER_HOUR = 10**6
    error = None
    try:
        with transaction.atomic():
            invitation = _invite(tenant, email=email, role=role)
            assert invitation.email == email.strip().lower()
            transaction.set_rollback(True)
    except ValidationFailed as exc:
        error = exc
    if error is not None:
        assert error.fields
        assert set(error.fields) <= {"email", "role"}
    assert not Invitation.objects.for_account(tenant.account).exists()
    assert (
        not Membership.objects.for_account(tenant.account)
        .exclude(user__in=[tenant.admin, tenant.member, tenant.viewer])
        .exists()
    )
