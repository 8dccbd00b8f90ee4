"""Sessions and log-in, beyond headwater/users/tests (which prove rotation on log-in, log-out, a removed member's
next request and the 10-failure throttle): the throttle does not reveal who has an account, a password change ends
the other sessions, a deactivated user or a demoted admin loses access on their next request, and so does an idle
session."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from headwater.core.middleware import LAST_SEEN_KEY
from headwater.users.models import Membership, Role, User
from tests.trust.http import send

pytestmark = pytest.mark.django_db


def _login(client: Client, email: str, password: str = "correct horse battery") -> object:  # noqa: S107 — the factories' test password
    return send(client, "post", "/login/", {"username": email, "password": password}, REMOTE_ADDR="10.9.9.9")


def _message(response: object) -> str:
    text = response.content.decode()
    return " ".join(re.findall(r'role="alert"[^>]*>(.*?)</', text, flags=re.S))


def test_unknown_and_known_addresses_are_throttled_alike(world):
    known, unknown = world.ours.user("member").email, "nobody-here@alpha.example"
    answers = {}
    for email in (known, unknown):
        client = Client()
        statuses = [_login(client, email, "wrong password!").status_code for _ in range(11)]
        last = _login(client, email, "wrong password!")
        answers[email] = (statuses, last.status_code, _message(last).replace(email, "<email>"))
    assert answers[known] == answers[unknown]
    assert answers[known][1] == 429


def test_changing_the_password_ends_the_other_sessions(world):
    member = world.ours.user("member")
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        assert _login(client, member.email).status_code == 302
    dashboard = f"/a/{world.ours.account.slug}/"
    assert send(elsewhere, "get", dashboard).status_code == 200
    response = send(
        here,
        "post",
        "/me/",
        {
            "old_password": "correct horse battery",
            "new_password1": "a new long pass 2026",
            "new_password2": "a new long pass 2026",
        },
    )
    assert response.status_code == 302
    assert send(here, "get", dashboard).status_code == 200
    assert send(elsewhere, "get", dashboard).status_code == 302


def test_a_deactivated_user_is_out_on_the_next_request(world):
    member = world.ours.user("member")
    client = world.ours.tenant.client_for("member")
    dashboard = f"/a/{world.ours.account.slug}/"
    assert send(client, "get", dashboard).status_code == 200
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert send(client, "get", dashboard).status_code == 302
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {world.ours.tokens['member']}"})
    assert response.status_code == 401


def test_a_demoted_admin_cannot_write_settings_on_the_next_request(world):
    ours = world.ours
    client = ours.tenant.client_for("admin")
    url = f"/a/{ours.account.slug}/settings/"
    assert send(client, "get", url).status_code == 200
    Membership.objects.for_account(ours.account).filter(user=ours.user("admin")).update(role=Role.MEMBER)
    assert send(client, "get", url).status_code == 403
    token = ours.tokens["admin"]
    response = Client().post(
        "/api/v1/sources",
        {"name": "late"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["viewer", "member", "admin"])
def test_an_idle_session_is_out_on_the_next_request(world, settings, role):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 60
    ours = world.ours
    client = Client()
    assert _login(client, ours.user(role).email).status_code == 302
    dashboard = f"/a/{ours.account.slug}/"
    assert send(client, "get", dashboard).status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 61
    session.save()
    for url in (dashboard, "/me/", "/"):
        response = send(client, "get", url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    # API tokens are not sessions: they keep working.
    token = ours.tokens[role]
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
