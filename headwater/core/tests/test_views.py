from __future__ import annotations

import pytest


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
