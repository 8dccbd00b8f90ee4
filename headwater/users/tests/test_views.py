from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from headwater.core.models import Account
from headwater.testing.factories import CompanyFactory, DealFactory, MembershipFactory, PersonFactory
from headwater.users.invitations import invitation_token_make
from headwater.users.models import Membership, Role, User

PASSWORD = "correct horse battery"
GOOD_NEW_PASSWORD = "a sturdy passphrase 42"


def _signup_data(**overrides):
    data = {
        "full_name": "Ada Founder",
        "email": "ada@example.test",
        "password": GOOD_NEW_PASSWORD,
        "account_name": "Ada Analytics",
        "slug": "ada",
        "currency": "EUR",
        "language": "en",
    }
    return {**data, **overrides}


def _login(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post("/login/", {"username": email, "password": password}, **extra)


@pytest.mark.django_db
class TestSignup:
    def test_signup_creates_account_and_logs_in(self, client):
        response = client.post("/signup/", _signup_data())
        assert response.status_code == 302
        assert response["Location"] == "/a/ada/"
        user = User.objects.get(email="ada@example.test")
        assert int(client.session["_auth_user_id"]) == user.pk
        account = Account.objects.get(slug="ada")
        assert Membership.objects.for_account(account).get(user=user).role == Role.ADMIN
        assert client.get("/a/ada/").status_code == 200

    def test_signup_page_has_labelled_fields(self, client):
        html = client.get("/signup/").text
        for label in ("Your name", "E-mail", "Password", "Company or team name", "Account address"):
            assert f">{label}" in html

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"password": "short"}, "password", "too short"),
            ({"password": "password123"}, "password", "too common"),
            ({"account_name": "Bad\x00Name"}, "account_name", "Null characters"),
            ({"full_name": "Nul\x00"}, "full_name", "Null characters"),
            ({"slug": "has space"}, "slug", "slug"),
            ({"email": "nope"}, "email", "valid email"),
        ],
    )
    def test_bad_input_shows_an_error_next_to_the_field(self, client, overrides, field, message):
        response = client.post("/signup/", _signup_data(**overrides))
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert message.lower() in " ".join(response.context["form"].errors[field]).lower()
        assert not User.objects.exists()
        assert not Account.objects.exists()

    def test_taken_slug_and_email(self, client, tenant):
        response = client.post("/signup/", _signup_data(slug=tenant.account.slug))
        assert "slug" in response.context["form"].errors
        response = client.post("/signup/", _signup_data(email=tenant.admin.email.upper(), slug="fresh"))
        assert "email" in response.context["form"].errors
        assert not Account.objects.filter(slug="fresh").exists()

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
        before = list(Membership.objects.for_account(tenant.account).values_list("pk", "role"))
        assert client.get(_members_url(tenant)).status_code == 403
        assert client.post(_members_url(tenant), {"email": "x@example.test", "role": "admin"}).status_code == 403
        assert (
            client.post(_members_url(tenant, f"{target.pk}/role/"), {f"m{target.pk}-role": "admin"}).status_code == 403
        )
        assert client.get(_members_url(tenant, f"{target.pk}/remove/")).status_code == 403
        assert client.post(_members_url(tenant, f"{target.pk}/remove/")).status_code == 403
        assert client.post(_members_url(tenant, f"{target.pk}/invitation/")).status_code == 403
        assert list(Membership.objects.for_account(tenant.account).values_list("pk", "role")) == before
        assert not User.objects.filter(email="x@example.test").exists()

    def test_other_accounts_members_are_404(self, tenant, other_tenant, admin_client):
        theirs = Membership.objects.for_account(other_tenant.account).get(user=other_tenant.member)
        assert admin_client.get(other_tenant.url("settings/members/")).status_code == 404
        for suffix in (f"{theirs.pk}/remove/", "999999/remove/"):
            assert admin_client.get(_members_url(tenant, suffix)).status_code == 404
        assert (
            admin_client.post(_members_url(tenant, f"{theirs.pk}/role/"), {f"m{theirs.pk}-role": "admin"}).status_code
            == 404
        )
        assert admin_client.post(_members_url(tenant, f"{theirs.pk}/remove/")).status_code == 404
        assert admin_client.post(_members_url(tenant, f"{theirs.pk}/invitation/")).status_code == 404
        theirs.refresh_from_db()
        assert theirs.role == Role.MEMBER

    def test_add_a_new_person_shows_the_invitation_link_once(self, tenant, admin_client):
        response = admin_client.post(
            _members_url(tenant), {"email": "newbie@example.test", "full_name": "New Bie", "role": "viewer"}
        )
        assert response.status_code == 302
        page = admin_client.get(_members_url(tenant)).text
        match = re.search(r'value="(http://testserver/invitation/[^"]+/)"', page)
        assert match, page
        assert "newbie@example.test" in page
        # Shown once: a reload no longer carries the link.
        assert 'value="http://testserver/invitation/' not in admin_client.get(_members_url(tenant)).text
        membership = Membership.objects.for_account(tenant.account).get(user__email="newbie@example.test")
        assert membership.role == Role.VIEWER
        assert "invitation pending" in admin_client.get(_members_url(tenant)).text

        # The invitee follows the link, sets a password, and is in.
        invitee = Client()
        path = match.group(1).removeprefix("http://testserver")
        form_page = invitee.get(path)
        assert form_page.status_code == 200
        assert "newbie@example.test" in form_page.text
        response = invitee.post(path, {"new_password1": GOOD_NEW_PASSWORD, "new_password2": GOOD_NEW_PASSWORD})
        assert response.status_code == 302
        assert invitee.get(tenant.url("")).status_code == 200
        # The link works once.
        again = Client().get(path)
        assert again.status_code == 400
        assert "already been used" in again.text
        assert _login(Client(), "newbie@example.test", GOOD_NEW_PASSWORD).status_code == 302

    def test_add_an_existing_user(self, tenant, other_tenant, admin_client):
        response = admin_client.post(_members_url(tenant), {"email": other_tenant.admin.email, "role": "member"})
        assert response.status_code == 302
        page = admin_client.get(_members_url(tenant)).text
        assert 'value="http://testserver/invitation/' not in page
        assert "already uses Headwater" in page
        assert Membership.objects.for_account(tenant.account).get(user=other_tenant.admin).role == Role.MEMBER

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"email": "x@example.test", "role": "owner"}, "role"),
            ({"email": "not-an-email", "role": "member"}, "email"),
            ({"email": "x@example.test", "full_name": "Bad\x00", "role": "member"}, "full_name"),
        ],
    )
    def test_add_bad_input(self, tenant, admin_client, data, field):
        response = admin_client.post(_members_url(tenant), data)
        assert response.status_code == 400
        assert field in response.context["add_form"].errors
        assert not User.objects.filter(email="x@example.test").exists()

    def test_add_someone_already_a_member(self, tenant, admin_client):
        response = admin_client.post(_members_url(tenant), {"email": tenant.viewer.email, "role": "admin"})
        assert response.status_code == 400
        assert "already a member" in response.text
        assert Membership.objects.for_account(tenant.account).get(user=tenant.viewer).role == Role.VIEWER

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

    def test_renew_invitation(self, tenant, admin_client):
        admin_client.post(_members_url(tenant), {"email": "late@example.test", "role": "member"})
        admin_client.get(_members_url(tenant))
        membership = Membership.objects.for_account(tenant.account).get(user__email="late@example.test")
        response = admin_client.post(_members_url(tenant, f"{membership.pk}/invitation/"), follow=True)
        assert 'value="http://testserver/invitation/' in response.text
        other = Membership.objects.for_account(tenant.account).get(user=tenant.member)
        response = admin_client.post(_members_url(tenant, f"{other.pk}/invitation/"), follow=True)
        assert "already set a password" in response.text


@pytest.mark.django_db
class TestInvitationPage:
    def test_tampered_link(self, client, tenant):
        token = invitation_token_make(user=tenant.member)
        response = client.get(f"/invitation/{token[:-2]}xx/")
        assert response.status_code == 400
        assert "not valid" in response.text

    def test_weak_password_keeps_the_link(self, client, tenant):
        user = User.objects.create_user(email="inv@example.test", password=None)
        MembershipFactory(account=tenant.account, user=user, role=Role.VIEWER)
        token = invitation_token_make(user=user)
        response = client.post(f"/invitation/{token}/", {"new_password1": "short", "new_password2": "short"})
        assert response.status_code == 200
        assert "new_password2" in response.context["form"].errors or "new_password1" in response.context["form"].errors
        assert client.get(f"/invitation/{token}/").status_code == 200


@pytest.mark.django_db
class TestLanguage:
    def test_account_default_applies_inside_the_account(self, tenant, member_client):
        Account.objects.filter(pk=tenant.account.pk).update(language="pl")
        response = member_client.get(tenant.url(""))
        assert '<html lang="pl">' in response.text
        assert response["Content-Language"] == "pl"

    def test_browser_language_applies_outside_accounts(self, client):
        assert '<html lang="pl">' in client.get("/login/", HTTP_ACCEPT_LANGUAGE="pl,en;q=0.5").text
        assert '<html lang="en">' in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.5").text

    def test_the_users_choice_wins_over_the_account_default(self, tenant, member_client):
        Account.objects.filter(pk=tenant.account.pk).update(language="pl")
        response = member_client.post("/i18n/setlang/", {"language": "en", "next": tenant.url("")})
        assert response.status_code == 302
        assert response["Location"] == tenant.url("")
        assert member_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
        assert '<html lang="en">' in member_client.get(tenant.url("")).text
        member_client.post("/i18n/setlang/", {"language": "pl", "next": "/"})
        assert '<html lang="pl">' in member_client.get("/accounts/new/", HTTP_ACCEPT_LANGUAGE="en").text

    def test_setlang_refuses_foreign_redirects(self, member_client):
        response = member_client.post("/i18n/setlang/", {"language": "pl", "next": "https://evil.example/"})
        assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["pl", "en"])
def test_signup_suggests_the_interface_language_as_the_account_default(client, language):
    client.cookies["django_language"] = language
    response = client.get("/signup/")
    assert response.status_code == 200
    form = response.context["form"]
    assert form["language"].value() == language
