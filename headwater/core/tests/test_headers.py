"""What caches may keep, and what the logs may hold: no answer of ours is stored, a URL that answers a page or an
htmx fragment varies on HX-Request, and a wrong auth scheme never puts the Authorization header in a log."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from headwater.records.tests.api_contract import enable_sources
from headwater.testing.api import api_for

pytestmark = pytest.mark.django_db


def _private(response):
    assert "no-store" in response["Cache-Control"], response.get("Cache-Control")
    assert "HX-Request" in response["Vary"]


def test_logged_in_pages_exports_and_api_answers_are_not_stored(tenant, member_client):
    enable_sources(tenant.account)
    for url in (tenant.url(""), tenant.url("companies/"), tenant.url("stats/sources/export.csv"), "/me/", "/"):
        response = member_client.get(url, follow=False)
        assert response.status_code in (200, 302), url
        _private(response)
    _private(api_for(tenant, "viewer").get("companies"))
    _private(Client().get("/api/v1/companies"))  # the 401 too


def test_the_page_with_a_new_tokens_secret_is_not_stored(tenant, member_client):
    for headers in ({}, {"HX-Request": "true"}):
        response = member_client.post(
            "/me/api-tokens/", {"token-name": "CI", "token-account": tenant.account.pk}, headers=headers
        )
        assert response.status_code == 200
        assert "hw_" in response.text
        _private(response)


def test_a_url_answering_a_page_or_a_fragment_varies_on_hx_request(tenant, member_client):
    page = member_client.get("/me/api-tokens/")
    fragment = member_client.get("/me/api-tokens/", headers={"HX-Request": "true"})
    assert "<html" in page.text
    assert "<html" not in fragment.text
    for response in (page, fragment):
        _private(response)


def test_static_files_keep_their_own_caching(settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    "header", ["Basic c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3M=", "Token hw_secret-value", "hw_secret-value"]
)
def test_a_wrong_auth_scheme_logs_no_secret_even_in_debug(settings, caplog, header):
    settings.DEBUG = True
    with caplog.at_level(logging.DEBUG):
        response = Client().get("/api/v1/companies", headers={"Authorization": header})
    assert response.status_code == 401
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert header.split(" ")[-1] not in logged
    assert "secret" not in logged


def test_a_bearer_token_still_works(tenant):
    assert api_for(tenant, "viewer").get("companies").status_code == 200
