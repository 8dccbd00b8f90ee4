"""The API-token panel on /me/: create (secret shown once), list, revoke; only one's own tokens."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from headwater.testing.api import ApiClient
from headwater.users.models import ApiToken
from headwater.users.token_services import api_token_create, token_hash

pytestmark = pytest.mark.django_db

URL = "/me/api-tokens/"


def _secret_in(html: str) -> str | None:
    match = re.search(r'id="new-api-token"[^>]*value="(hw_[^"]+)"', html)
    return match.group(1) if match else None


def test_profile_page_loads_the_panel(member_client):
    html = member_client.get("/me/").content.decode()
    assert 'hx-get="/me/api-tokens/"' in html
    assert 'href="/me/api-tokens/"' in html


def test_create_shows_the_secret_once_and_it_works(tenant, member_client):
    response = member_client.post(URL, {"token-name": "Website form", "token-account": tenant.account.pk})
    assert response.status_code == 200
    html = response.content.decode()
    secret = _secret_in(html)
    assert secret is not None
    token = ApiToken.unscoped.get(membership__user=tenant.member)
    assert token.key_hash == token_hash(secret)
    assert ApiClient(account=tenant.account, user=tenant.member, token=secret).get("/me").status_code == 200
    # Listed afterwards by name and prefix only.
    again = member_client.get(URL).content.decode()
    assert "Website form" in again
    assert token.prefix in again
    assert secret not in again
    assert _secret_in(again) is None


def test_htmx_requests_get_the_fragment(tenant, member_client):
    response = member_client.get(URL, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="panel api-tokens"')
    assert "<html" not in html
    created = member_client.post(
        URL, {"token-name": "Zapier", "token-account": tenant.account.pk}, headers={"HX-Request": "true"}
    )
    assert _secret_in(created.content.decode())
    assert "<html" not in created.content.decode()


def test_account_choices_are_only_the_users_accounts(tenant, other_tenant, member_client):
    html = member_client.get(URL).content.decode()
    assert f'value="{tenant.account.pk}"' in html
    assert other_tenant.account.name not in html
    response = member_client.post(URL, {"token-name": "Sneaky", "token-account": other_tenant.account.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.unscoped.exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "bad\x00name"])
def test_bad_names_are_form_errors(tenant, member_client, name):
    response = member_client.post(URL, {"token-name": name, "token-account": tenant.account.pk})
    assert response.status_code == 200
    assert 'class="field__error"' in response.content.decode()
    assert not ApiToken.unscoped.exists()


def test_revoke_own_token(tenant, member_client):
    token, secret = api_token_create(account=tenant.account, user=tenant.member, name="old")
    response = member_client.post(f"{URL}{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiClient(account=tenant.account, user=tenant.member, token=secret).get("/me").status_code == 401
    assert "You have no API tokens yet." in member_client.get(URL).content.decode()


def test_cannot_revoke_someone_elses_token(tenant, member_client):
    token, _ = api_token_create(account=tenant.account, user=tenant.admin, name="admin's")
    assert member_client.post(f"{URL}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "admin&#x27;s" not in member_client.get(URL).content.decode()


def test_revoke_needs_post(tenant, member_client):
    token, _ = api_token_create(account=tenant.account, user=tenant.member, name="t")
    assert member_client.get(f"{URL}{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_is_sent_to_login():
    response = Client().get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
