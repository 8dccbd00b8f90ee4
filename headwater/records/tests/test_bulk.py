"""Bulk changes from a list, for every record kind in the registry: the page's action bar and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from headwater.records.bulk import BULK_CHANGE_LIMIT
from headwater.records.registry import RecordKind, record_kinds
from headwater.records.tests.view_contract import sources_on
from headwater.sources.models import HowChanged, SourceChange
from headwater.stats.tally_drift import tally_drift
from headwater.testing.api import api_for
from headwater.testing.factories import RecordFactory, SourceFactory

pytestmark = pytest.mark.django_db

FACTORIES = {factory._meta.model: factory for factory in RecordFactory.__subclasses__()}
KINDS = [pytest.param(kind, id=kind.noun) for kind in record_kinds()]


def make(kind: RecordKind, account: Any, **fields: Any) -> Any:
    return FACTORIES[kind.model](account=account, **fields)


def snapshot(kind: RecordKind, account: Any) -> list[tuple[Any, ...]]:
    manager: Any = kind.model.objects
    rows: list[tuple[Any, ...]] = list(
        manager.for_account(account).order_by("pk").values_list("pk", "source_id", "owner_id", "version")
    )
    return rows


@pytest.fixture
def web(tenant):
    sources_on(tenant.account)
    return SourceFactory(account=tenant.account, name="Web")


@pytest.mark.parametrize("kind", KINDS)
class TestBulkPage:
    def test_selected_ids_get_the_source_with_one_history_row_each(self, tenant, web, kind):
        fair = SourceFactory(account=tenant.account, name="Fair")
        chosen = [make(kind, tenant.account, source=fair), make(kind, tenant.account)]
        other = make(kind, tenant.account, source=fair)
        response = tenant.client_for("member").post(
            tenant.url(f"{kind.app}/bulk/"), {"ids": [r.pk for r in chosen], "source": str(web.pk), "owner": ""}
        )
        assert response.status_code == 302
        for record in chosen:
            record.refresh_from_db()
            assert record.source_id == web.pk
            assert record.version == 2
            (change,) = SourceChange.objects.for_account(tenant.account).filter(
                record_type=kind.noun, record_id=record.pk
            )
            assert change.how == HowChanged.BULK
            assert change.new_name == "Web"
            assert change.user == tenant.member
        other.refresh_from_db()
        assert other.source_id == fair.pk
        assert not tally_drift(account_ids=[tenant.account.pk])
        call_command("stats_tallies", "--check", "--account", str(tenant.account.pk))
        # The history says so on the record's page, in words.
        page = tenant.client_for("viewer").get(tenant.url(f"{kind.app}/{chosen[0].pk}/"))
        assert "changed in bulk from a list" in page.text

    def test_all_matching_the_filter_sets_the_owner(self, tenant, web, kind):
        matching = [make(kind, tenant.account, source=web) for _ in range(3)]
        outside = make(kind, tenant.account)
        response = tenant.client_for("admin").post(
            tenant.url(f"{kind.app}/bulk/?source={web.pk}"),
            {"all_matching": "on", "expected": "3", "owner": str(tenant.viewer.pk), "source": ""},
        )
        assert response.status_code == 302
        assert response["Location"].endswith(f"{kind.app}/?source={web.pk}")
        for record in matching:
            record.refresh_from_db()
            assert record.owner_id == tenant.viewer.pk
        outside.refresh_from_db()
        assert outside.owner_id is None
        # An owner change alone writes no source history.
        assert not SourceChange.objects.for_account(tenant.account).filter(how=HowChanged.BULK).exists()
        assert not tally_drift(account_ids=[tenant.account.pk])

    def test_a_count_other_than_shown_changes_nothing(self, tenant, web, kind):
        for _ in range(2):
            make(kind, tenant.account, source=web)
        before = snapshot(kind, tenant.account)
        response = tenant.client_for("admin").post(
            tenant.url(f"{kind.app}/bulk/?source={web.pk}"),
            {"all_matching": "on", "expected": "5", "owner": str(tenant.admin.pk)},
        )
        assert response.status_code == 400
        assert "2 records match the filter now, not 5" in response.text
        assert snapshot(kind, tenant.account) == before

    def test_viewer_is_refused(self, tenant, web, kind):
        record = make(kind, tenant.account)
        before = snapshot(kind, tenant.account)
        response = tenant.client_for("viewer").post(
            tenant.url(f"{kind.app}/bulk/"), {"ids": [record.pk], "source": str(web.pk)}
        )
        assert response.status_code == 403
        assert snapshot(kind, tenant.account) == before
        assert tenant.client_for("member").get(tenant.url(f"{kind.app}/bulk/")).status_code == 405
        # The viewer's list has no checkboxes and no action bar, but the export buttons.
        page = tenant.client_for("viewer").get(tenant.url(f"{kind.app}/"))
        assert 'name="ids"' not in page.text
        assert "bulk-form" not in page.text
        assert "Export XLSX" in page.text

    def test_another_accounts_id_is_404_and_changes_nothing(self, tenant, other_tenant, web, kind):
        mine = make(kind, tenant.account)
        theirs = make(kind, other_tenant.account)
        before, theirs_before = snapshot(kind, tenant.account), snapshot(kind, other_tenant.account)
        response = tenant.client_for("admin").post(
            tenant.url(f"{kind.app}/bulk/"), {"ids": [mine.pk, theirs.pk], "source": str(web.pk)}
        )
        assert response.status_code == 404
        assert snapshot(kind, tenant.account) == before
        assert snapshot(kind, other_tenant.account) == theirs_before
        assert not SourceChange.unscoped.filter(how=HowChanged.BULK).exists()

    def test_another_accounts_source_or_an_archived_one_is_refused_with_the_reason(
        self, tenant, other_tenant, web, kind
    ):
        record = make(kind, tenant.account)
        before = snapshot(kind, tenant.account)
        foreign = SourceFactory(account=other_tenant.account)
        client = tenant.client_for("admin")
        response = client.post(tenant.url(f"{kind.app}/bulk/"), {"ids": [record.pk], "source": str(foreign.pk)})
        assert response.status_code == 400
        assert "Select a valid choice" in response.text
        archived = SourceFactory(account=tenant.account, name="Old fair", archived=True)
        response = client.post(tenant.url(f"{kind.app}/bulk/"), {"ids": [record.pk], "source": str(archived.pk)})
        assert response.status_code == 400
        assert snapshot(kind, tenant.account) == before

    def test_nothing_chosen_or_nothing_to_change_says_so(self, tenant, web, kind):
        record = make(kind, tenant.account)
        client = tenant.client_for("admin")
        response = client.post(tenant.url(f"{kind.app}/bulk/"), {"source": str(web.pk)})
        assert response.status_code == 400
        assert "Choose the records to change" in response.text
        response = client.post(tenant.url(f"{kind.app}/bulk/"), {"ids": [record.pk], "source": ""})
        assert response.status_code == 400
        assert "Choose what to change" in response.text
        response = client.post(tenant.url(f"{kind.app}/bulk/"), {"ids": ["x"], "owner": str(tenant.admin.pk)})
        assert response.status_code == 400


@pytest.mark.parametrize("kind", KINDS)
class TestBulkApi:
    def test_ids_then_filter(self, tenant, web, kind):
        records = [make(kind, tenant.account) for _ in range(3)]
        api = api_for(tenant, "member")
        response = api.post(
            f"{kind.app}/bulk-change", {"ids": [records[0].pk, records[1].pk], "changes": {"source_id": web.pk}}
        )
        assert response.status_code == 200, response.content
        assert response.json() == {"changed": 2}
        assert SourceChange.objects.for_account(tenant.account).filter(how=HowChanged.BULK).count() == 2
        response = api.post(
            f"{kind.app}/bulk-change",
            {"filter": {"source_id": "none"}, "expected_count": 1, "changes": {"owner_id": tenant.admin.pk}},
        )
        assert response.json() == {"changed": 1}
        records[2].refresh_from_db()
        assert records[2].owner_id == tenant.admin.pk
        response = api.post(
            f"{kind.app}/bulk-change", {"filter": {"source_id": str(web.pk)}, "changes": {"source_id": None}}
        )
        assert response.json() == {"changed": 2}
        assert not tally_drift(account_ids=[tenant.account.pk])

    def test_refusals(self, tenant, other_tenant, web, kind):
        mine = make(kind, tenant.account)
        theirs = make(kind, other_tenant.account)
        before = snapshot(kind, tenant.account)
        viewer = api_for(tenant, "viewer")
        body = {"ids": [mine.pk], "changes": {"source_id": web.pk}}
        assert viewer.post(f"{kind.app}/bulk-change", body).status_code == 403
        api = api_for(tenant, "admin")
        response = api.post(f"{kind.app}/bulk-change", {**body, "ids": [mine.pk, theirs.pk]})
        assert response.status_code == 404
        response = api.post(
            f"{kind.app}/bulk-change", {"ids": [mine.pk], "changes": {"owner_id": other_tenant.admin.pk}}
        )
        assert response.status_code == 400
        assert "owner_id" in response.json()["error"]["fields"]
        response = api.post(f"{kind.app}/bulk-change", {"ids": [mine.pk], "filter": {}, "changes": {"owner_id": 1}})
        assert response.status_code == 400
        response = api.post(f"{kind.app}/bulk-change", {"ids": [mine.pk], "changes": {}})
        assert response.status_code == 400
        response = api.post(f"{kind.app}/bulk-change", {"ids": [mine.pk], "changes": {"version": 3}})
        assert response.status_code in (400, 422)
        response = api.post(
            f"{kind.app}/bulk-change", {"ids": list(range(1, BULK_CHANGE_LIMIT + 2)), "changes": {"owner_id": None}}
        )
        assert response.status_code in (400, 422)
        assert snapshot(kind, tenant.account) == before

    @pytest.mark.parametrize("bad_filter", [4.1e-09, 0, "source_id=none", [], True, {"sourse_id": "none"}])
    def test_a_filter_that_is_not_an_object_of_the_lists_filters_changes_nothing(self, tenant, web, kind, bad_filter):
        # Found by schemathesis: a number as the filter once read as "no filter" and changed every record.
        make(kind, tenant.account)
        make(kind, tenant.account, source=web)
        before = snapshot(kind, tenant.account)
        response = api_for(tenant, "admin").post(
            f"{kind.app}/bulk-change", {"filter": bad_filter, "changes": {"owner_id": tenant.admin.pk}}
        )
        assert response.status_code == 422, response.content
        error = response.json()["error"]
        assert "filter" in error["fields"]
        assert snapshot(kind, tenant.account) == before
