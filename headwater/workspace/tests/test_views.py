from __future__ import annotations

from datetime import UTC, datetime

import pytest

from headwater.testing.factories import CompanyFactory


@pytest.mark.django_db
class TestAccountFromUrl:
    def test_member_sees_dashboard(self, tenant, member_client):
        response = member_client.get(tenant.url(""))
        assert response.status_code == 200
        assert tenant.account.name in response.text

    def test_other_account_is_404_whether_it_exists_or_not(self, tenant, other_tenant, member_client):
        assert member_client.get(other_tenant.url("")).status_code == 404
        assert member_client.get("/a/does-not-exist/").status_code == 404

    def test_anonymous_is_sent_to_login(self, tenant, client):
        response = client.get(tenant.url(""))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

    def test_account_settings_are_admin_only(self, tenant, admin_client, member_client, viewer_client):
        assert admin_client.get(tenant.url("settings/")).status_code == 200
        assert member_client.get(tenant.url("settings/")).status_code == 403
        assert viewer_client.post(tenant.url("settings/"), {"name": "Hacked"}).status_code == 403
        tenant.account.refresh_from_db()
        assert tenant.account.name != "Hacked"

    def test_account_settings_save_and_conflict(self, tenant, admin_client):
        data = {"name": "Renamed", "currency": "EUR", "language": "pl", "time_zone": "Europe/Berlin", "version": 1}
        response = admin_client.post(tenant.url("settings/"), data)
        assert response.status_code == 302
        tenant.account.refresh_from_db()
        assert (tenant.account.name, tenant.account.currency, tenant.account.settings_version) == ("Renamed", "EUR", 2)
        stale = admin_client.post(tenant.url("settings/"), {**data, "name": "Stale"})
        assert stale.status_code == 200
        assert "Someone else changed" in stale.text or "Ktoś" in stale.text
        tenant.account.refresh_from_db()
        assert tenant.account.name == "Renamed"


SETTINGS_DATA = {"name": "Renamed", "currency": "EUR", "language": "pl", "time_zone": "Europe/Berlin", "version": 1}


@pytest.mark.django_db
class TestAccountSettingsInput:
    @pytest.mark.parametrize("name", ["", "   ", "Bad\x00Name", "Bell\x07"])
    def test_bad_names_are_refused_next_to_the_field(self, tenant, admin_client, name):
        response = admin_client.post(tenant.url("settings/"), {**SETTINGS_DATA, "name": name})
        assert response.status_code == 200
        assert "name" in response.context["form"].errors
        tenant.account.refresh_from_db()
        assert (tenant.account.name, tenant.account.settings_version) == ("Alpha", 1)

    @pytest.mark.parametrize(("field", "value"), [("currency", "XXX"), ("language", "de"), ("time_zone", "Mars/Base")])
    def test_unknown_choices_are_refused(self, tenant, admin_client, field, value):
        response = admin_client.post(tenant.url("settings/"), {**SETTINGS_DATA, field: value})
        assert field in response.context["form"].errors
        tenant.account.refresh_from_db()
        assert tenant.account.settings_version == 1

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_members_and_viewers_get_403_and_nothing_changes(self, tenant, role):
        client = tenant.client_for(role)
        assert client.get(tenant.url("settings/")).status_code == 403
        assert client.post(tenant.url("settings/"), SETTINGS_DATA).status_code == 403
        tenant.account.refresh_from_db()
        assert (tenant.account.name, tenant.account.settings_version) == ("Alpha", 1)

    def test_other_account_settings_are_404(self, tenant, other_tenant, admin_client):
        assert admin_client.get(other_tenant.url("settings/")).status_code == 404
        assert admin_client.post(other_tenant.url("settings/"), SETTINGS_DATA).status_code == 404
        other_tenant.account.refresh_from_db()
        assert other_tenant.account.name == "Bravo"

    def test_settings_link_only_for_admins(self, tenant, admin_client, member_client):
        assert tenant.url("settings/") in admin_client.get(tenant.url("")).text
        assert tenant.url("settings/") not in member_client.get(tenant.url("")).text


@pytest.mark.django_db
def test_account_pages_show_times_in_the_account_time_zone(tenant, member_client):
    tenant.account.time_zone = "Asia/Tokyo"
    tenant.account.save()
    company = CompanyFactory(account=tenant.account, created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    response = member_client.get(tenant.url(f"companies/{company.pk}/"))
    assert response.status_code == 200
    # 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo (SHORT_DATETIME_FORMAT in English: j M Y, H:i).
    assert "2 Mar 2026, 08:30" in response.text
    assert "1 Mar 2026" not in response.text
