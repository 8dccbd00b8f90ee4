"""What every record kind's pages promise, tested once (as api_contract.RecordApiContract does for the API): a
record app's test_views.py subclasses RecordViewContract in a few lines and keeps only the tests of its own.

The pages are generated from the kind's RecordPages (records/urls.py), so the same roles, tenancy, version and
query-count rules hold for each; these tests prove it kind by kind.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.testing.factories import SourceFactory


def sources_on(account: Any, default: bool = True) -> None:
    account.sources_enabled = True
    account.source_default_from_contact = default
    account.save()


@pytest.mark.django_db
class RecordViewContract:
    """Subclass with the kind's `app`, `model`, `factory`, the field that names a record (`label_field`) and a valid
    edit form (`form_data`)."""

    app: ClassVar[str]  # "companies": the URL prefix and namespace
    model: ClassVar[type[Any]]
    factory: ClassVar[Any]
    label_field: ClassVar[str] = "name"
    # Factory values that make the record's label exactly its `label_field` (a person's empty first name).
    factory_defaults: ClassVar[dict[str, Any]] = {}

    def form_data(self, **overrides: Any) -> dict[str, Any]:
        raise NotImplementedError

    def make(self, account: Any, label: str, **fields: Any) -> Any:
        return self.factory(account=account, **{**self.factory_defaults, self.label_field: label, **fields})

    def url(self, tenant: Any, path: str = "") -> str:
        return str(tenant.url(f"{self.app}/{path}"))

    def records(self, account: Any) -> list[str]:
        return list(self.model.objects.for_account(account).values_list(self.label_field, flat=True))

    @pytest.mark.parametrize("role", ["admin", "member", "viewer"])
    def test_every_role_reads_and_only_writers_are_offered_a_new_record(self, tenant, role):
        record = self.make(tenant.account, "Alpha Record")
        client = tenant.client_for(role)
        listed = client.get(self.url(tenant))
        assert listed.status_code == 200
        assert "Alpha Record" in listed.text
        assert (self.url(tenant, "new/") in listed.text) == (role != "viewer")
        detail = client.get(self.url(tenant, f"{record.pk}/"))
        assert detail.status_code == 200
        assert "Alpha Record" in detail.text

    def test_another_accounts_records_never_show_and_are_404(self, tenant, other_tenant, member_client):
        foreign = self.make(other_tenant.account, "Bravo Secret")
        assert "Bravo Secret" not in member_client.get(self.url(tenant)).text
        assert member_client.get(self.url(other_tenant)).status_code == 404
        for path in (f"{foreign.pk}/", f"{foreign.pk}/edit/", f"{foreign.pk}/delete/", "999999/"):
            assert member_client.get(self.url(tenant, path)).status_code == 404, path
        assert member_client.post(self.url(tenant, f"{foreign.pk}/edit/"), self.form_data(version=1)).status_code == 404
        assert member_client.post(self.url(tenant, f"{foreign.pk}/delete/")).status_code == 404
        assert self.records(other_tenant.account) == ["Bravo Secret"]

    def test_a_viewer_cannot_open_or_post_the_forms(self, tenant, viewer_client):
        record = self.make(tenant.account, "Kept")
        for path in ("new/", f"{record.pk}/edit/", f"{record.pk}/delete/"):
            assert viewer_client.get(self.url(tenant, path)).status_code == 403, path
        assert viewer_client.post(self.url(tenant, "new/"), self.form_data()).status_code == 403
        assert viewer_client.post(self.url(tenant, f"{record.pk}/edit/"), self.form_data(version=1)).status_code == 403
        assert viewer_client.post(self.url(tenant, f"{record.pk}/delete/")).status_code == 403
        assert self.records(tenant.account) == ["Kept"]

    def test_a_stale_version_is_a_conflict_and_changes_nothing(self, tenant, member_client, admin_client):
        record = self.make(tenant.account, "Old")
        edit = self.url(tenant, f"{record.pk}/edit/")
        assert 'name="version" value="1"' in member_client.get(edit).text
        assert member_client.post(edit, self.form_data(**{self.label_field: "First", "version": 1})).status_code == 302
        stale = admin_client.post(edit, self.form_data(**{self.label_field: "Second", "version": 1}))
        assert stale.status_code == 200
        assert "Someone else changed this record" in stale.text
        record.refresh_from_db()
        assert (getattr(record, self.label_field), record.version) == ("First", 2)

    def test_a_member_deletes_after_confirming(self, tenant, member_client):
        record = self.make(tenant.account, "Doomed")
        assert member_client.get(self.url(tenant, f"{record.pk}/delete/")).status_code == 200
        response = member_client.post(self.url(tenant, f"{record.pk}/delete/"))
        assert response.status_code == 302
        assert response.url == self.url(tenant)
        assert self.records(tenant.account) == []

    def test_list_query_count_does_not_grow_with_rows(self, tenant, member_client):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account)
        for n in range(2):
            self.make(tenant.account, f"Few {n}", source=web, owner=tenant.member)
        with CaptureQueriesContext(connection) as few:
            member_client.get(self.url(tenant))
        for n in range(20):
            self.make(tenant.account, f"Many {n}", source=web, owner=tenant.admin)
        with CaptureQueriesContext(connection) as many:
            member_client.get(self.url(tenant))
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_the_filter_bar_and_the_bulk_form_share_their_choices(self, tenant, member_client):
        """The owner, source and campaign options of the filter bar and of the bulk change form are read once."""
        sources_on(tenant.account)
        archived = SourceFactory(account=tenant.account, name="Old fair", archived=True)
        with CaptureQueriesContext(connection) as page:
            html = member_client.get(self.url(tenant)).text
        statements = [query["sql"] for query in page.captured_queries]
        assert sum(sql.startswith('SELECT "sources_source".') for sql in statements) == 1
        assert sum(sql.startswith('SELECT "campaigns_campaign".') for sql in statements) == 1
        members = [sql for sql in statements if 'FROM "users_user" INNER JOIN "users_membership"' in sql]
        assert len(members) == 1
        # The filter bar offers the archived source, the bulk form (which sets active ones only) does not.
        assert html.count(archived.name) == 1

    @pytest.mark.parametrize(("language", "search"), [("en", "Search"), ("pl", "Szukaj")])
    def test_the_pages_render_in_polish_and_english(self, tenant, member_client, language, search):
        record = self.make(tenant.account, "Żółw")
        member_client.cookies["django_language"] = language
        for path in ("", "new/", f"{record.pk}/", f"{record.pk}/edit/", f"{record.pk}/delete/"):
            response = member_client.get(self.url(tenant, path))
            assert response.status_code == 200, path
            assert f'<html lang="{language}">' in response.text, path
        assert f">{search}<" in member_client.get(self.url(tenant)).text
