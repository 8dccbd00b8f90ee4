from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client

from headwater.core.middleware import LAST_SEEN_KEY
from headwater.core.models import Account
from headwater.testing.factories import (
    CompanyFactory,
    DealFactory,
    InvitationFactory,
    MembershipFactory,
    PersonFactory,
)
from headwater.testing.mail import last_link, sent_to
from headwater.users.models import Invitation, InvitationStatus, Membership, Role, User

PASSWORD = "correct horse battery"
GOOD_NEW_PASSWORD = "a sturdy passphrase 42"


def _login(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post("/login/", {"username": email, "password": password}, **extra)


def _signup(client: Client, email: str = "ada@example.test", full_name: str = "Ada Founder", **extra):
    return client.post("/signup/", {"full_name": full_name, "email": email}, **extra)


def _choose_password(client: Client, path: str, password: str = GOOD_NEW_PASSWORD, **extra):
    data = {"full_name": "Ada Founder", "password1": password, "password2": password, **extra}
    return client.post(path, data)


@pytest.mark.django_db
class TestSignup:
    def test_sign_up_confirm_by_the_link_then_log_in(self, client):
        response = _signup(client)
        assert response.status_code == 200
        assert "Check your inbox" in response.text
        assert "ada@example.test" in response.text
        # Nothing exists and nobody is logged in until the link is opened.
        assert not User.objects.exists()
        assert "_auth_user_id" not in client.session
        path = last_link("ada@example.test")
        page = client.get(path)
        assert page.status_code == 200
        assert "ada@example.test" in page.text
        response = _choose_password(client, path)
        assert response.status_code == 302
        assert response["Location"] == "/"
        user = User.objects.get(email="ada@example.test")
        assert user.email_confirmed
        assert int(client.session["_auth_user_id"]) == user.pk
        home = client.get("/")
        assert "Create a new account" in home.text
        client.post("/logout/")
        assert _login(Client(), "ada@example.test", GOOD_NEW_PASSWORD).status_code == 302
        # The link was for one login.
        again = Client().get(path)
        assert again.status_code == 400
        assert "already has a login" in again.text

    def test_signing_up_with_someone_elses_address_gains_nothing(self, client, tenant, admin_client):
        # Whoever typed the address never sees the link, and an account inviting it later binds nobody.
        assert _signup(client, email="victim@example.test").status_code == 200
        assert (
            admin_client.post(_members_url(tenant), {"email": "victim@example.test", "role": "admin"}).status_code
            == 302
        )
        assert not User.objects.filter(email="victim@example.test").exists()
        assert not Membership.objects.for_account(tenant.account).filter(user__email="victim@example.test").exists()
        assert _login(client, "victim@example.test", GOOD_NEW_PASSWORD).status_code == 200
        assert "_auth_user_id" not in client.session

    def test_signup_page_has_labelled_fields(self, client):
        html = client.get("/signup/").text
        for label in ("Your name", "E-mail"):
            assert f">{label}" in html
        assert 'type="password"' not in html

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"full_name": "Nul\x00"}, "full_name", "Null characters"),
            ({"full_name": "Bell\x07"}, "full_name", "control character"),
            ({"email": "nope"}, "email", "valid email"),
        ],
    )
    def test_bad_input_shows_an_error_next_to_the_field(self, client, overrides, field, message):
        response = _signup(client, **overrides)
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert message.lower() in " ".join(response.context["form"].errors[field]).lower()
        assert not mail.outbox

    def test_weak_or_mismatched_password_keeps_the_link(self, client):
        _signup(client)
        path = last_link("ada@example.test")
        for data in ({"password1": "short", "password2": "short"}, {"password2": "another passphrase 43"}):
            response = client.post(path, {"full_name": "Ada", "password1": GOOD_NEW_PASSWORD, **data})
            assert response.status_code == 200
            assert response.context["form"].errors
        assert not User.objects.exists()
        assert client.get(path).status_code == 200

    def test_tampered_link(self, client):
        _signup(client)
        path = last_link("ada@example.test")
        response = client.get(path[:-4] + "xxx/")
        assert response.status_code == 400
        assert "not valid" in response.text
        assert client.post(path[:-4] + "xxx/", {"password1": GOOD_NEW_PASSWORD}).status_code == 400
        assert not User.objects.exists()

    def test_a_registered_address_is_told_by_e_mail_only(self, client, tenant):
        response = _signup(client, email=tenant.member.email.upper())
        assert response.status_code == 200
        assert "Check your inbox" in response.text
        [message] = sent_to(tenant.member.email)
        assert "/signup/confirm/" not in message.body

    def test_sign_up_is_rate_limited_per_address_and_per_ip(self, client, settings):
        settings.SIGNUP_THROTTLE_PER_EMAIL = 3
        settings.SIGNUP_THROTTLE_PER_IP = 5
        statuses = [_signup(Client(), REMOTE_ADDR="10.1.1.1").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert len(sent_to("ada@example.test")) == 3
        limited = _signup(Client(), REMOTE_ADDR="10.1.1.1")
        assert "Too many sign-ups" in limited.text
        assert int(limited["Retry-After"]) == 3600
        # Another address from the same IP: allowed until the IP's own limit.
        assert _signup(Client(), email="b@example.test", REMOTE_ADDR="10.1.1.1").status_code == 429
        assert _signup(Client(), email="c@example.test", REMOTE_ADDR="10.1.1.2").status_code == 200

    def test_logged_in_user_is_sent_to_create_another_account(self, admin_client):
        response = admin_client.get("/signup/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/new/"


@pytest.mark.django_db
class TestLoginLogout:
    def test_login_rotates_the_session_key(self, client, tenant):
        client.get("/login/")
        session = client.session
        session["before_login"] = True
        session.save()
        before = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert _login(client, tenant.member.email).status_code == 302
        after = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert after != before
        # The pre-login session id no longer logs anyone in.
        stale = Client()
        stale.cookies[settings.SESSION_COOKIE_NAME] = before
        assert stale.get(tenant.url("")).status_code == 302

    def test_same_message_for_unknown_user_and_wrong_password(self, client, tenant):
        unknown = _login(client, "nobody@example.test")
        wrong = _login(client, tenant.member.email, "wrong password!")
        assert unknown.status_code == wrong.status_code == 200
        assert unknown.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
        assert "The e-mail or password is incorrect." in unknown.text

    def test_login_ignores_the_case_of_the_email(self, client, tenant):
        # Users are stored lower-case; typing capitals at the login form still works.
        response = _login(client, f"  {tenant.member.email.upper()} ")
        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == tenant.member.pk

    def test_logout_ends_the_session(self, client, tenant):
        _login(client, tenant.member.email)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert client.get(tenant.url("")).status_code == 200
        assert client.get("/logout/").status_code == 405
        assert client.post("/logout/").status_code == 302
        replay = Client()
        replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
        response = replay.get(tenant.url(""))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

    def test_inactive_user_cannot_log_in(self, client, tenant):
        User.objects.filter(pk=tenant.member.pk).update(is_active=False)
        response = _login(client, tenant.member.email)
        assert response.status_code == 200
        assert "The e-mail or password is incorrect." in response.text

    def test_a_login_from_before_confirmation_confirms_by_the_link_first(self, client, tenant):
        User.objects.filter(pk=tenant.member.pk).update(email_confirmed_at=None)
        wrong = _login(client, tenant.member.email, "wrong password!")
        assert "The e-mail or password is incorrect." in wrong.text
        assert not mail.outbox
        response = _login(client, tenant.member.email)
        assert response.status_code == 200
        assert "Confirm your e-mail address first" in response.text
        assert "_auth_user_id" not in client.session
        path = last_link(tenant.member.email)
        assert path.startswith("/confirm/")
        assert client.get(path).status_code == 200
        assert client.post(path)["Location"] == "/login/"
        assert _login(client, tenant.member.email).status_code == 302

    def test_a_session_of_an_unconfirmed_login_ends(self, member_client, tenant):
        assert member_client.get(tenant.url("")).status_code == 200
        User.objects.filter(pk=tenant.member.pk).update(email_confirmed_at=None)
        assert member_client.get(tenant.url("")).status_code == 302


@pytest.mark.django_db
class TestIdleTimeout:
    def _age(self, client, seconds):
        session = client.session
        session[LAST_SEEN_KEY] = int(time.time()) - seconds
        session.save()

    def test_an_idle_session_is_logged_out(self, client, tenant, settings):
        settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
        assert _login(client, tenant.member.email).status_code == 302
        assert client.get(tenant.url("")).status_code == 200
        self._age(client, 601)
        response = client.get(tenant.url(""))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
        assert "_auth_user_id" not in client.session
        assert "after 10 minutes without activity" in client.get(response["Location"]).text

    def test_activity_keeps_the_session(self, client, tenant, settings):
        settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
        _login(client, tenant.member.email)
        self._age(client, 500)
        assert client.get(tenant.url("")).status_code == 200
        assert int(time.time()) - client.session[LAST_SEEN_KEY] < 5
        self._age(client, 599)
        assert client.get(tenant.url("companies/")).status_code == 200


@pytest.mark.django_db
class TestThrottling:
    def _fail(self, client, email, times, ip="10.0.0.1"):
        return [_login(client, email, "wrong password!", REMOTE_ADDR=ip).status_code for _ in range(times)]

    def test_429_after_ten_failures_even_with_the_right_password(self, client, tenant):
        assert self._fail(client, tenant.member.email, 10) == [200] * 10
        response = _login(client, tenant.member.email, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 429
        assert "Too many failed log-in attempts" in response.text
        assert int(response["Retry-After"]) == 15 * 60
        assert "_auth_user_id" not in client.session

    def test_the_limit_is_per_email_and_ip(self, client, tenant):
        self._fail(client, tenant.member.email, 10)
        assert _login(Client(), tenant.member.email, REMOTE_ADDR="10.0.0.2").status_code == 302
        assert _login(Client(), tenant.admin.email, REMOTE_ADDR="10.0.0.1").status_code == 302
        # The e-mail is compared case-insensitively, so capitals do not get a fresh allowance.
        assert _login(Client(), tenant.member.email.upper(), REMOTE_ADDR="10.0.0.1").status_code == 429

    def test_a_success_resets_the_count_and_successes_do_not_count(self, client, tenant):
        self._fail(client, tenant.member.email, 9)
        assert _login(Client(), tenant.member.email, REMOTE_ADDR="10.0.0.1").status_code == 302
        assert self._fail(client, tenant.member.email, 9) == [200] * 9
        for _ in range(15):
            assert _login(Client(), tenant.viewer.email, REMOTE_ADDR="10.0.0.1").status_code == 302

    def test_the_window_expires(self, client, tenant):
        self._fail(client, tenant.member.email, 10)
        assert _login(Client(), tenant.member.email, REMOTE_ADDR="10.0.0.1").status_code == 429
        cache.clear()  # what the expiry of the 15-minute window does
        assert _login(Client(), tenant.member.email, REMOTE_ADDR="10.0.0.1").status_code == 302


@pytest.mark.django_db
class TestProfile:
    def test_change_password(self, member_client, tenant):
        response = member_client.post(
            "/me/",
            {"old_password": PASSWORD, "new_password1": GOOD_NEW_PASSWORD, "new_password2": GOOD_NEW_PASSWORD},
        )
        assert response.status_code == 302
        tenant.member.refresh_from_db()
        assert tenant.member.check_password(GOOD_NEW_PASSWORD)
        # Still logged in after the change (the session hash was updated).
        assert member_client.get(tenant.url("")).status_code == 200

    def test_wrong_old_password_changes_nothing(self, member_client, tenant):
        response = member_client.post(
            "/me/",
            {"old_password": "nope nope", "new_password1": GOOD_NEW_PASSWORD, "new_password2": GOOD_NEW_PASSWORD},
        )
        assert response.status_code == 400
        tenant.member.refresh_from_db()
        assert tenant.member.check_password(PASSWORD)

    def test_anonymous_is_sent_to_login(self, client):
        assert client.get("/me/")["Location"].startswith("/login/")

    def test_change_name(self, member_client, tenant):
        response = member_client.post("/me/", {"action": "name", "full_name": "  Grace Hopper "})
        assert response.status_code == 302
        tenant.member.refresh_from_db()
        assert tenant.member.full_name == "Grace Hopper"
        assert tenant.member.check_password(PASSWORD)

    @pytest.mark.parametrize("name", ["Bad\x00", "x" * 151, "Bell\x07"])
    def test_bad_name_changes_nothing(self, member_client, tenant, name):
        before = tenant.member.full_name
        response = member_client.post("/me/", {"action": "name", "full_name": name})
        assert response.status_code == 400
        assert "full_name" in response.context["name_form"].errors
        tenant.member.refresh_from_db()
        assert tenant.member.full_name == before


@pytest.mark.django_db
class TestAccounts:
    def test_home_redirects_with_one_account_and_lists_several(self, tenant, other_tenant, member_client):
        assert member_client.get("/")["Location"] == tenant.url("")
        MembershipFactory(account=other_tenant.account, user=tenant.member, role=Role.VIEWER)
        response = member_client.get("/")
        assert response.status_code == 200
        assert tenant.account.name in response.text
        assert other_tenant.account.name in response.text

    def test_home_stays_to_show_an_invitation(self, tenant, other_tenant, member_client):
        InvitationFactory(account=other_tenant.account, email=tenant.member.email, invited_by=other_tenant.admin)
        response = member_client.get("/")
        assert response.status_code == 200
        assert f"invites you to the account <strong>{other_tenant.account.name}</strong>" in response.text
        assert other_tenant.admin.email in response.text

    def test_header_switcher_lists_only_my_accounts(self, tenant, other_tenant, member_client):
        third = MembershipFactory(user=tenant.member, role=Role.VIEWER).account
        html = member_client.get(tenant.url("")).text
        assert f'href="/a/{third.slug}/"' in html
        assert f'href="/a/{other_tenant.account.slug}/"' not in html

    def test_the_account_comes_from_the_url(self, tenant, other_tenant, member_client):
        MembershipFactory(account=other_tenant.account, user=tenant.member, role=Role.VIEWER)
        assert member_client.get(other_tenant.url("")).context["current_account"] == other_tenant.account
        assert member_client.get(tenant.url("")).context["current_account"] == tenant.account

    def test_create_another_account(self, member_client, tenant):
        data = {"account_name": "Side Project", "slug": "side", "currency": "USD", "language": "pl"}
        response = member_client.post("/accounts/new/", data)
        assert response.status_code == 302
        assert response["Location"] == "/a/side/"
        account = Account.objects.get(slug="side")
        assert Membership.objects.for_account(account).get(user=tenant.member).role == Role.ADMIN
        assert member_client.get("/a/side/settings/").status_code == 200

    def test_create_another_account_errors(self, member_client, tenant):
        response = member_client.post(
            "/accounts/new/", {"account_name": "X", "slug": tenant.account.slug, "currency": "USD", "language": "pl"}
        )
        assert "slug" in response.context["form"].errors
        response = member_client.post(
            "/accounts/new/", {"account_name": "   ", "slug": "blank", "currency": "USD", "language": "pl"}
        )
        assert "account_name" in response.context["form"].errors
        assert not Account.objects.filter(slug="blank").exists()

    def test_anonymous_cannot_create_accounts(self, client):
        assert client.get("/accounts/new/")["Location"].startswith("/login/")


def _members_url(tenant, suffix=""):
    return tenant.url(f"settings/members/{suffix}")


def _invitation_url(tenant, invitation, action):
    return tenant.url(f"settings/invitations/{invitation.pk}/{action}/")


def _invite(admin_client, tenant, email="newbie@example.test", role="viewer"):
    return admin_client.post(_members_url(tenant), {"email": email, "role": role})


@pytest.mark.django_db
class TestMembersPage:
    def test_admin_sees_members(self, tenant, admin_client):
        response = admin_client.get(_members_url(tenant))
        assert response.status_code == 200
        for user in (tenant.admin, tenant.member, tenant.viewer):
            assert user.email in response.text

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_members_and_viewers_get_403_on_every_members_url(self, tenant, role):
        client = tenant.client_for(role)
        target = Membership.objects.for_account(tenant.account).get(user=tenant.viewer)
        invitation = InvitationFactory(account=tenant.account)
        before = list(Membership.objects.for_account(tenant.account).values_list("pk", "role"))
        assert client.get(_members_url(tenant)).status_code == 403
        assert client.post(_members_url(tenant), {"email": "x@example.test", "role": "admin"}).status_code == 403
        assert (
            client.post(_members_url(tenant, f"{target.pk}/role/"), {f"m{target.pk}-role": "admin"}).status_code == 403
        )
        assert client.get(_members_url(tenant, f"{target.pk}/remove/")).status_code == 403
        assert client.post(_members_url(tenant, f"{target.pk}/remove/")).status_code == 403
        for action in ("renew", "revoke"):
            assert client.post(_invitation_url(tenant, invitation, action)).status_code == 403
        assert list(Membership.objects.for_account(tenant.account).values_list("pk", "role")) == before
        assert list(Invitation.objects.for_account(tenant.account)) == [invitation]
        assert not mail.outbox

    def test_other_accounts_members_and_invitations_are_404(self, tenant, other_tenant, admin_client):
        theirs = Membership.objects.for_account(other_tenant.account).get(user=other_tenant.member)
        their_invitation = InvitationFactory(account=other_tenant.account)
        assert admin_client.get(other_tenant.url("settings/members/")).status_code == 404
        for suffix in (f"{theirs.pk}/remove/", "999999/remove/"):
            assert admin_client.get(_members_url(tenant, suffix)).status_code == 404
        assert (
            admin_client.post(_members_url(tenant, f"{theirs.pk}/role/"), {f"m{theirs.pk}-role": "admin"}).status_code
            == 404
        )
        assert admin_client.post(_members_url(tenant, f"{theirs.pk}/remove/")).status_code == 404
        for action in ("renew", "revoke"):
            assert admin_client.post(_invitation_url(tenant, their_invitation, action)).status_code == 404
        theirs.refresh_from_db()
        assert theirs.role == Role.MEMBER
        assert Invitation.objects.for_account(other_tenant.account).get().token_hash == their_invitation.token_hash

    def test_invite_someone_new_who_joins_by_the_link(self, tenant, admin_client):
        response = _invite(admin_client, tenant)
        assert response.status_code == 302
        page = admin_client.get(_members_url(tenant)).text
        assert "Invitation sent to newbie@example.test." in page
        assert "pending" in page
        # The link goes to the address, never to the page of the admin who typed it.
        path = last_link("newbie@example.test")
        assert path not in page
        assert not User.objects.filter(email="newbie@example.test").exists()

        invitee = Client()
        form_page = invitee.get(path)
        assert form_page.status_code == 200
        assert "newbie@example.test" in form_page.text
        response = _choose_password(invitee, path, action="signup")
        assert response.status_code == 302
        assert response["Location"] == tenant.url("")
        assert invitee.get(tenant.url("")).status_code == 200
        membership = Membership.objects.for_account(tenant.account).get(user__email="newbie@example.test")
        assert membership.role == Role.VIEWER
        assert membership.user.email_confirmed
        assert not Invitation.objects.for_account(tenant.account).exists()
        # The link works once.
        again = Client().get(path)
        assert again.status_code == 400
        assert "no longer works" in again.text
        assert _login(Client(), "newbie@example.test", GOOD_NEW_PASSWORD).status_code == 302

    def test_an_existing_user_is_bound_to_nothing_until_they_accept(self, tenant, other_tenant, admin_client):
        outsider = other_tenant.member
        assert _invite(admin_client, tenant, email=outsider.email.upper(), role="member").status_code == 302
        page = admin_client.get(_members_url(tenant)).text
        assert outsider.full_name not in page
        assert not Membership.objects.for_account(tenant.account).filter(user=outsider).exists()
        client = other_tenant.client_for("member")
        # Not in their account switcher, not reachable, until they accept.
        assert tenant.account.name not in client.get(other_tenant.url("")).text
        assert client.get(tenant.url("")).status_code == 404
        home = client.get("/")
        assert home.status_code == 200
        invitation = Invitation.objects.for_account(tenant.account).get()
        assert f"/invitations/{invitation.pk}/accept/" in home.text
        response = client.post(f"/invitations/{invitation.pk}/accept/")
        assert response["Location"] == tenant.url("")
        assert client.get(tenant.url("")).status_code == 200
        assert Membership.objects.for_account(tenant.account).get(user=outsider).role == Role.MEMBER
        assert outsider.full_name in admin_client.get(_members_url(tenant)).text

    def test_a_declined_invitation_shows_declined_and_nothing_else(self, tenant, other_tenant, admin_client):
        _invite(admin_client, tenant, email=other_tenant.member.email)
        invitation = Invitation.objects.for_account(tenant.account).get()
        client = other_tenant.client_for("member")
        assert client.post(f"/invitations/{invitation.pk}/decline/")["Location"] == "/"
        page = admin_client.get(_members_url(tenant)).text
        assert "declined" in page
        assert other_tenant.member.full_name not in page
        assert not Membership.objects.for_account(tenant.account).filter(user=other_tenant.member).exists()
        assert client.post(f"/invitations/{invitation.pk}/accept/").status_code == 404

    def test_nobody_else_can_answer_an_invitation(self, tenant, other_tenant, member_client):
        invitation = InvitationFactory(account=other_tenant.account, email=other_tenant.viewer.email)
        for action in ("accept", "decline"):
            assert member_client.post(f"/invitations/{invitation.pk}/{action}/").status_code == 404
            assert member_client.get(f"/invitations/{invitation.pk}/{action}/").status_code == 405
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.PENDING
        assert not Membership.objects.for_account(other_tenant.account).filter(user=tenant.member).exists()

    def test_another_account_cannot_block_or_take_over_our_invitation(self, tenant, other_tenant, admin_client):
        _invite(admin_client, tenant)
        ours = last_link("newbie@example.test")
        # The other account invites the same new address, renews and withdraws its own invitation.
        theirs_client = other_tenant.client_for("admin")
        assert _invite(theirs_client, other_tenant).status_code == 302
        theirs = Invitation.objects.for_account(other_tenant.account).get()
        theirs_client.post(_invitation_url(other_tenant, theirs, "renew"))
        theirs_client.post(_invitation_url(other_tenant, theirs, "revoke"))
        # Ours still works, and joining through it binds the person to our account only.
        assert _choose_password(Client(), ours, action="signup").status_code == 302
        user = User.objects.get(email="newbie@example.test")
        assert [m.account for m in Membership.unscoped.filter(user=user)] == [tenant.account]

    def test_a_new_link_kills_the_earlier_one(self, tenant, admin_client):
        _invite(admin_client, tenant)
        old = last_link("newbie@example.test")
        invitation = Invitation.objects.for_account(tenant.account).get()
        response = admin_client.post(_invitation_url(tenant, invitation, "renew"), follow=True)
        assert "earlier links no longer work" in response.text
        new = last_link("newbie@example.test")
        assert new != old
        assert Client().get(old).status_code == 400
        assert _choose_password(Client(), old, action="signup").status_code == 400
        assert not User.objects.filter(email="newbie@example.test").exists()
        assert Client().get(new).status_code == 200

    def test_withdrawing_kills_the_link(self, tenant, admin_client):
        _invite(admin_client, tenant)
        path = last_link("newbie@example.test")
        invitation = Invitation.objects.for_account(tenant.account).get()
        response = admin_client.post(_invitation_url(tenant, invitation, "revoke"), follow=True)
        assert "its link no longer works" in response.text
        assert "newbie@example.test" not in response.text.split("Invitation")[-1]
        assert Client().get(path).status_code == 400
        assert _choose_password(Client(), path, action="signup").status_code == 400
        assert not Invitation.objects.for_account(tenant.account).exists()
        assert not User.objects.filter(email="newbie@example.test").exists()

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"email": "x@example.test", "role": "owner"}, "role"),
            ({"email": "not-an-email", "role": "member"}, "email"),
            ({"email": "x\x00@example.test", "role": "member"}, "email"),
        ],
    )
    def test_invite_bad_input(self, tenant, admin_client, data, field):
        response = admin_client.post(_members_url(tenant), data)
        assert response.status_code == 400
        assert field in response.context["invite_form"].errors
        assert not Invitation.objects.for_account(tenant.account).exists()
        assert not mail.outbox

    def test_invite_someone_already_a_member_or_invited(self, tenant, admin_client):
        response = _invite(admin_client, tenant, email=tenant.viewer.email, role="admin")
        assert response.status_code == 400
        assert "already a member" in response.text
        assert Membership.objects.for_account(tenant.account).get(user=tenant.viewer).role == Role.VIEWER
        _invite(admin_client, tenant)
        response = _invite(admin_client, tenant)
        assert response.status_code == 400
        assert "already has a pending invitation" in response.text
        assert len(sent_to("newbie@example.test")) == 1

    def test_change_role(self, tenant, admin_client):
        target = Membership.objects.for_account(tenant.account).get(user=tenant.viewer)
        response = admin_client.post(_members_url(tenant, f"{target.pk}/role/"), {f"m{target.pk}-role": "member"})
        assert response.status_code == 302
        target.refresh_from_db()
        assert target.role == Role.MEMBER

    def test_last_admin_cannot_step_down(self, tenant, admin_client):
        mine = Membership.objects.for_account(tenant.account).get(user=tenant.admin)
        response = admin_client.post(
            _members_url(tenant, f"{mine.pk}/role/"), {f"m{mine.pk}-role": "viewer"}, follow=True
        )
        assert "only admin" in response.text
        mine.refresh_from_db()
        assert mine.role == Role.ADMIN

    def test_remove_shows_counts_then_reassigns(self, tenant, admin_client):
        company = CompanyFactory(account=tenant.account, owner=tenant.member)
        PersonFactory(company=company, owner=tenant.member)
        DealFactory(company=company, owner=tenant.member)
        DealFactory(company=company, owner=tenant.member)
        target = Membership.objects.for_account(tenant.account).get(user=tenant.member)
        page = admin_client.get(_members_url(tenant, f"{target.pk}/remove/"))
        assert page.status_code == 200
        assert page.context["counts"] == {"companies": 1, "persons": 1, "deals": 2}
        # Viewers cannot take over records, and the leaver is not offered.
        offered = list(page.context["form"].fields["reassign_to"].queryset)
        assert offered == [tenant.admin]
        response = admin_client.post(_members_url(tenant, f"{target.pk}/remove/"), {"reassign_to": tenant.admin.pk})
        assert response.status_code == 302
        assert not Membership.objects.for_account(tenant.account).filter(user=tenant.member).exists()
        company.refresh_from_db()
        assert company.owner == tenant.admin

    def test_remove_refuses_a_viewer_or_outsider_as_new_owner(self, tenant, other_tenant, admin_client):
        DealFactory(company=CompanyFactory(account=tenant.account), owner=tenant.member)
        target = Membership.objects.for_account(tenant.account).get(user=tenant.member)
        for bad in (tenant.viewer.pk, other_tenant.admin.pk):
            response = admin_client.post(_members_url(tenant, f"{target.pk}/remove/"), {"reassign_to": bad})
            assert response.status_code == 400
            assert "reassign_to" in response.context["form"].errors
        assert Membership.objects.for_account(tenant.account).filter(user=tenant.member).exists()

    def test_last_admin_cannot_be_removed(self, tenant, admin_client):
        mine = Membership.objects.for_account(tenant.account).get(user=tenant.admin)
        response = admin_client.post(_members_url(tenant, f"{mine.pk}/remove/"))
        assert response.status_code == 400
        assert "only admin" in response.text
        assert Membership.objects.for_account(tenant.account).filter(pk=mine.pk).exists()

    def test_removed_member_loses_access_on_the_next_request(self, tenant, admin_client, member_client):
        assert member_client.get(tenant.url("")).status_code == 200
        target = Membership.objects.for_account(tenant.account).get(user=tenant.member)
        admin_client.post(_members_url(tenant, f"{target.pk}/remove/"))
        assert member_client.get(tenant.url("")).status_code == 404
        assert member_client.get(tenant.url("companies/")).status_code == 404


@pytest.mark.django_db
class TestInvitationLink:
    def _link(self, tenant, email):
        # Through the members page: only the service knows the link's secret, and it e-mails it.
        tenant.client_for("admin").post(_members_url(tenant), {"email": email, "role": "member"})
        return last_link(email)

    def test_an_existing_user_logs_in_from_the_link_and_accepts(self, tenant, other_tenant):
        path = self._link(tenant, other_tenant.viewer.email)
        client = Client()
        page = client.get(path)
        assert "Log in to accept" in page.text
        assert 'name="password1"' not in page.text
        response = client.post(
            f"/login/?next={path}", {"username": other_tenant.viewer.email, "password": PASSWORD, "next": path}
        )
        assert response["Location"] == path
        assert "Accept" in client.get(path).text
        assert client.post(path, {"action": "accept"})["Location"] == tenant.url("")
        assert Membership.objects.for_account(tenant.account).get(user=other_tenant.viewer).role == Role.MEMBER

    def test_logged_in_as_someone_else_the_link_accepts_nothing(self, tenant, other_tenant):
        path = self._link(tenant, "someone@example.test")
        client = other_tenant.client_for("member")
        page = client.get(path)
        assert "This invitation is for someone@example.test" in page.text
        client.post(path, {"action": "accept"})
        client.post(
            path, {"action": "signup", "full_name": "X", "password1": GOOD_NEW_PASSWORD, "password2": GOOD_NEW_PASSWORD}
        )
        assert not Membership.objects.for_account(tenant.account).filter(user=other_tenant.member).exists()
        assert not User.objects.filter(email="someone@example.test").exists()

    def test_declining_from_the_link_without_logging_in(self, tenant):
        path = self._link(tenant, "someone@example.test")
        response = Client().post(path, {"action": "decline"})
        assert response["Location"] == "/login/"
        assert Invitation.objects.for_account(tenant.account).get().state == "declined"
        assert Client().get(path).status_code == 400

    def test_made_up_links(self, client):
        for token in ("x", "a" * 43, "../../etc"):
            response = client.get(f"/invitation/{token}/")
            assert response.status_code in (400, 404)
        assert "no longer works" in client.get("/invitation/" + "a" * 43 + "/").text


@pytest.mark.django_db
class TestLanguage:
    def test_one_language_on_every_page_until_the_user_chooses(self, tenant, member_client):
        # The account's default is Polish, the browser English: every page speaks the browser's language.
        Account.objects.filter(pk=tenant.account.pk).update(language="pl")
        for url in (tenant.url(""), tenant.url("companies/"), "/me/", "/accounts/new/"):
            response = member_client.get(url, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
            assert '<html lang="en">' in response.text, url
            assert response["Content-Language"] == "en"

    def test_browser_language_applies_before_logging_in(self, client):
        assert '<html lang="pl">' in client.get("/login/", HTTP_ACCEPT_LANGUAGE="pl,en;q=0.5").text
        assert '<html lang="en">' in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.5").text

    def test_the_first_log_in_takes_the_browsers_language_and_keeps_it(self, client, tenant):
        _login(client, tenant.member.email, HTTP_ACCEPT_LANGUAGE="pl,en;q=0.5")
        tenant.member.refresh_from_db()
        assert tenant.member.language == "pl"
        # Another browser, another Accept-Language: the user's language stays.
        elsewhere = Client()
        _login(elsewhere, tenant.member.email, HTTP_ACCEPT_LANGUAGE="en")
        for url in ("/", tenant.url(""), "/me/"):
            response = elsewhere.get(url, HTTP_ACCEPT_LANGUAGE="en", follow=True)
            assert '<html lang="pl">' in response.text, url
        # And the log-in page after logging out speaks it too.
        elsewhere.post("/logout/")
        assert '<html lang="pl">' in elsewhere.get("/login/", HTTP_ACCEPT_LANGUAGE="en").text

    def test_the_users_choice_follows_them(self, tenant, member_client):
        response = member_client.post("/i18n/setlang/", {"language": "pl", "next": tenant.url("")})
        assert response.status_code == 302
        assert response["Location"] == tenant.url("")
        assert member_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "pl"
        tenant.member.refresh_from_db()
        assert tenant.member.language == "pl"
        other_browser = tenant.client_for("member")
        for url in (tenant.url(""), "/accounts/new/", "/me/"):
            assert '<html lang="pl">' in other_browser.get(url, HTTP_ACCEPT_LANGUAGE="en").text, url

    def test_a_choice_made_before_logging_in_counts(self, client, tenant):
        User.objects.filter(pk=tenant.member.pk).update(language="en")
        client.post("/i18n/setlang/", {"language": "pl", "next": "/login/"})
        _login(client, tenant.member.email, HTTP_ACCEPT_LANGUAGE="en")
        assert '<html lang="pl">' in client.get(tenant.url(""), HTTP_ACCEPT_LANGUAGE="en").text

    def test_setlang_refuses_foreign_redirects_and_unknown_languages(self, member_client, tenant):
        response = member_client.post("/i18n/setlang/", {"language": "pl", "next": "https://evil.example/"})
        assert response["Location"] == "/"
        member_client.post("/i18n/setlang/", {"language": "de", "next": "/"})
        tenant.member.refresh_from_db()
        assert tenant.member.language == "pl"
        assert member_client.get("/i18n/setlang/").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["pl", "en"])
def test_a_new_account_suggests_the_interface_language_as_its_default(member_client, language):
    member_client.cookies["django_language"] = language
    response = member_client.get("/accounts/new/")
    assert response.status_code == 200
    form = response.context["form"]
    assert form["language"].value() == language
