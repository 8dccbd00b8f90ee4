"""Error answers: pages in the site's layout and the user's language with a way back; JSON for the API.

Each goes through the path a user (or a script) takes: the page or the endpoint, through every middleware.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings

from headwater.companies.models import Company
from headwater.core import error_views
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory

LAYOUT = 'class="topbar"'
NAVIGATION = 'class="mainnav"'


def _in(client: Client, language: str) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.django_db
class TestNotFound:
    @pytest.mark.parametrize(
        ("language", "title", "back"),
        [
            ("en", "Page not found", "Back to the dashboard of Alpha"),
            ("pl", "Nie znaleziono strony", "Wróć do pulpitu"),
        ],
    )
    def test_a_missing_record_answers_the_sites_page_with_the_accounts_navigation(
        self, tenant, member_client, language, title, back
    ):
        response = _in(member_client, language).get(tenant.url("companies/987654/"))
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")
        assert LAYOUT in response.text
        assert NAVIGATION in response.text
        assert f'<html lang="{language}">' in response.text
        assert title in response.text
        assert back in response.text
        assert f'href="/a/{tenant.account.slug}/"' in response.text

    def test_another_accounts_page_says_nothing_about_that_account(self, tenant, other_tenant, member_client):
        response = member_client.get(other_tenant.url("companies/"))
        assert response.status_code == 404
        assert other_tenant.account.name not in response.text
        assert "Back to your accounts" in response.text

    def test_an_unknown_address_for_a_visitor_offers_the_login(self, client):
        response = _in(client, "pl").get("/no-such-page/")
        assert response.status_code == 404
        assert LAYOUT in response.text
        assert "Nie znaleziono strony" in response.text
        assert 'href="/login/"' in response.text

    def test_the_api_keeps_its_json_shape(self, tenant):
        api = api_for(tenant)
        for path in ("companies/987654", "no-such-endpoint"):
            response = api.get(path)
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
class TestForbidden:
    @pytest.mark.parametrize(
        ("language", "title", "role"),
        [
            ("en", "Not allowed", "Your role in Alpha (Viewer) does not allow this."),
            ("pl", "Brak uprawnień", "(Przeglądający)"),
        ],
    )
    def test_a_refused_page_explains_the_role_in_the_users_language(self, tenant, viewer_client, language, title, role):
        response = _in(viewer_client, language).get(tenant.url("settings/sources/"))
        assert response.status_code == 403
        assert LAYOUT in response.text
        assert NAVIGATION in response.text
        assert title in response.text
        assert role in response.text
        assert f'href="/a/{tenant.account.slug}/"' in response.text

    def test_a_refused_write_changes_nothing_and_explains(self, tenant, viewer_client):
        response = viewer_client.post(tenant.url("companies/new/"), {"name": "Not mine to add"})
        assert response.status_code == 403
        assert "Not allowed" in response.text
        assert not Company.objects.for_account(tenant.account).exists()

    def test_a_form_without_its_csrf_token_says_what_to_do(self, tenant):
        client = Client(enforce_csrf_checks=True)
        client.force_login(tenant.admin)
        response = _in(client, "pl").post(tenant.url("companies/new/"), {"name": "Acme"})
        assert response.status_code == 403
        assert LAYOUT in response.text
        assert "Formularz wygasł" in response.text
        assert not Company.objects.for_account(tenant.account).exists()

    def test_the_api_keeps_its_json_shape(self, tenant):
        response = api_for(tenant, "viewer").post("companies", {"name": "Nope"})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


def _emitting_handlers(record: logging.LogRecord) -> list[logging.Handler]:
    """The handlers that would write `record` (pytest's capturing handlers aside), walking up as logging does."""
    found = []
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue
            if record.levelno >= handler.level and handler.filter(record):
                found.append(handler)
        logger = logger.parent if logger.propagate else None
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_403_is_logged_once_as_one_line_without_a_traceback(tenant, viewer_client, caplog, debug):
    with override_settings(DEBUG=debug), caplog.at_level(logging.INFO, logger="django"):
        response = viewer_client.get(tenant.url("settings/sources/"))
        assert response.status_code == 403
        records = [r for r in caplog.records if r.name == "django.request"]
        assert len(records) == 1
        (record,) = records
        assert record.getMessage() == f"Forbidden (Permission denied): {tenant.url('settings/sources/')}"
        assert record.exc_info is None
        # Under DEBUG, Django's own console handler used to print it a second time beside the root handler.
        assert len(_emitting_handlers(record)) == 1


@pytest.mark.django_db
class TestServerError:
    @pytest.fixture
    def broken_dashboard(self, monkeypatch):
        def boom(**kwargs):
            raise RuntimeError("the dashboard broke")

        monkeypatch.setattr("headwater.workspace.views.dashboard_get", boom)

    @pytest.mark.parametrize(("language", "title"), [("en", "Something went wrong"), ("pl", "Coś poszło nie tak")])
    def test_a_failing_page_answers_the_sites_page_in_the_users_language(
        self, tenant, broken_dashboard, language, title
    ):
        client = Client(raise_request_exception=False)
        client.force_login(tenant.member)
        response = _in(client, language).get(tenant.url(""))
        assert response.status_code == 500
        assert LAYOUT in response.text
        assert f'<html lang="{language}">' in response.text
        assert title in response.text
        assert 'href="/"' in response.text
        assert "css/app.css" in response.text

    def test_the_api_answers_json(self, tenant, monkeypatch):
        def boom(*args, **kwargs):
            raise RuntimeError("the list broke")

        # The API's lists read through api_page (the one read path); an error inside it is a 500 in JSON.
        monkeypatch.setattr("headwater.records.api.api_page", boom)
        api = api_for(tenant)
        api.client = Client(raise_request_exception=False)
        response = api.get("companies")
        assert response.status_code == 500
        assert response.json()["error"]["code"] == "server_error"


def test_the_500_page_renders_without_the_database_or_the_request():
    """No `db` fixture: pytest-django refuses every query, as a database that is down would."""
    request = RequestFactory().get("/a/alpha/")
    response = error_views.server_error(request)
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "css/app.css" in response.text


def test_the_500_page_falls_back_to_a_plain_page_when_its_template_cannot_render(tmp_path):
    """A production deployment without its static manifest: `{% static %}` raises; the answer is still a page."""
    manifest = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES={**settings.STORAGES, "staticfiles": manifest}):
        response = error_views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert '<a href="/">' in response.text


@pytest.mark.django_db
class TestTooLarge:
    def test_an_api_body_over_the_limit_is_a_413_in_the_error_shape(self, tenant):
        response = api_for(tenant, "member").post("companies", {"name": "Big", "notes": "x" * 3_000_000})
        assert response.status_code == 413
        error = response.json()["error"]
        assert error["code"] == "too_large"
        assert "2.5 MB" in error["message"]
        assert list(error["fields"]) == ["body"]
        assert not Company.objects.for_account(tenant.account).exists()

    def test_a_thousand_row_bulk_with_long_notes_says_to_send_fewer_rows(self, tenant):
        rows = [{"name": f"Company {i}", "notes": "n" * 3000} for i in range(1000)]
        response = api_for(tenant, "member").post("companies/bulk", {"items": rows})
        assert response.status_code == 413
        assert "fewer rows" in response.json()["error"]["message"]
        assert not Company.objects.for_account(tenant.account).exists()

    def test_a_form_over_the_limit_answers_a_page(self, tenant, member_client):
        CompanyFactory(account=tenant.account, name="Kept")
        response = _in(member_client, "pl").post(
            tenant.url("companies/new/"), {"name": "Big", "notes": "x" * 3_000_000}
        )
        assert response.status_code == 413
        assert LAYOUT in response.text
        assert "Za dużo danych" in response.text
        assert list(Company.objects.for_account(tenant.account).values_list("name", flat=True)) == ["Kept"]

    def test_a_malformed_api_body_still_names_its_problem(self, tenant):
        response = api_for(tenant, "member").post("companies", "{not json")
        assert response.status_code == 400
        assert json.loads(response.content)["error"]["code"] == "invalid_json"
