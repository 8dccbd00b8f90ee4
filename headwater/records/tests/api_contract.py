"""One contract every record resource of the API passes (NetBox-style: each app's test_api.py subclasses it).

Tenancy, roles, optimistic locking, the source rules (omitted / null / explicit / feature off) and bulk
all-or-nothing are checked the same way for companies, persons and deals.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.core.cache import cache

from headwater.records.models import CrmRecord
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.api import api_for
from headwater.testing.factories import SourceFactory


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return dict(body["error"])


def enable_sources(account: Any, *, default_from_contact: bool = False) -> None:
    account.sources_enabled = True
    account.source_default_from_contact = default_from_contact
    account.save()


@pytest.mark.django_db
class RecordApiContract:
    resource: ClassVar[str]
    model: ClassVar[type[CrmRecord]]
    # The smallest valid body, and a change a PATCH can make (field, value).
    minimal: ClassVar[dict[str, Any]]
    change: ClassVar[tuple[str, Any]]
    label_field: ClassVar[str] = "name"

    def make(self, account: Any, **kwargs: Any) -> CrmRecord:
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _clear_rate_counters(self) -> None:
        cache.clear()

    def count(self, account: Any) -> int:
        manager: Any = self.model.objects
        return int(manager.for_account(account).count())

    # --- tenancy -------------------------------------------------------------------------------------

    def test_list_shows_only_the_token_account(self, tenant, other_tenant):
        self.make(tenant.account, **{self.label_field: "ours-1"})
        self.make(other_tenant.account, **{self.label_field: "MARKER-theirs"})
        response = api_for(tenant, "viewer").get(self.resource)
        assert response.status_code == 200
        assert b"MARKER-theirs" not in response.content
        assert [row[self.label_field] for row in response.json()["items"]] == ["ours-1"]

    def test_get_other_account_is_404_like_a_missing_id(self, tenant, other_tenant):
        theirs = self.make(other_tenant.account, **{self.label_field: "MARKER-theirs"})
        api = api_for(tenant, "admin")
        other = api.get(f"{self.resource}/{theirs.pk}")
        missing = api.get(f"{self.resource}/{theirs.pk + 10_000}")
        assert error_of(other, 404) == error_of(missing, 404)
        assert b"MARKER" not in other.content

    def test_get_own(self, tenant):
        ours = self.make(tenant.account)
        body = api_for(tenant, "viewer").get(f"{self.resource}/{ours.pk}").json()
        assert body["id"] == ours.pk
        assert body["version"] == ours.version
        assert {"created_at", "updated_at", "source_id", "source_name", "owner_id", "notes"} <= set(body)

    def test_patch_and_delete_of_other_account_are_404_and_change_nothing(self, tenant, other_tenant):
        theirs = self.make(other_tenant.account)
        api = api_for(tenant, "admin")
        field, value = self.change
        error_of(api.patch(f"{self.resource}/{theirs.pk}", {"version": theirs.version, field: value}), 404)
        error_of(api.delete(f"{self.resource}/{theirs.pk}"), 404)
        theirs.refresh_from_db()
        assert theirs.version == 1
        assert self.count(other_tenant.account) == 1

    def test_other_account_owner_in_body_is_400_on_the_field(self, tenant, other_tenant):
        api = api_for(tenant, "member")
        error = error_of(api.post(self.resource, {**self.minimal, "owner_id": other_tenant.admin.pk}), 400)
        assert list(error["fields"]) == ["owner_id"]
        ours = self.make(tenant.account)
        response = api.patch(f"{self.resource}/{ours.pk}", {"version": ours.version, "owner_id": other_tenant.admin.pk})
        assert list(error_of(response, 400)["fields"]) == ["owner_id"]
        assert self.count(tenant.account) == 1

    def test_other_account_source_in_body_is_400_on_the_field(self, tenant, other_tenant):
        enable_sources(tenant.account)
        theirs = SourceFactory(account=other_tenant.account)
        api = api_for(tenant, "member")
        error = error_of(api.post(self.resource, {**self.minimal, "source_id": theirs.pk}), 400)
        assert list(error["fields"]) == ["source_id"]
        assert self.count(tenant.account) == 0

    # --- roles ---------------------------------------------------------------------------------------

    def test_viewer_cannot_write_and_nothing_changes(self, tenant):
        ours = self.make(tenant.account)
        api = api_for(tenant, "viewer")
        field, value = self.change
        error_of(api.post(self.resource, self.minimal), 403)
        error_of(api.post(f"{self.resource}/bulk", {"items": [self.minimal]}), 403)
        error_of(api.patch(f"{self.resource}/{ours.pk}", {"version": ours.version, field: value}), 403)
        error_of(api.delete(f"{self.resource}/{ours.pk}"), 403)
        ours.refresh_from_db()
        assert ours.version == 1
        assert self.count(tenant.account) == 1

    def test_member_creates_updates_deletes(self, tenant):
        api = api_for(tenant, "member")
        created = api.post(self.resource, {**self.minimal, "owner_id": tenant.member.pk, "notes": "line 1\n  line 2"})
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["version"] == 1
        assert body["owner_id"] == tenant.member.pk
        assert body["notes"] == "line 1\n  line 2"
        record = self.model.unscoped.get(pk=body["id"])
        assert record.account_id == tenant.account.pk
        assert record.created_by_id == tenant.member.pk
        field, value = self.change
        updated = api.patch(f"{self.resource}/{body['id']}", {"version": 1, field: value})
        assert updated.status_code == 200, updated.content
        assert updated.json()[field] == value
        assert updated.json()["version"] == 2
        assert updated.json()["owner_id"] == tenant.member.pk  # not sent, not touched
        assert api.delete(f"{self.resource}/{body['id']}").status_code == 204
        assert self.count(tenant.account) == 0

    # --- optimistic locking --------------------------------------------------------------------------

    def test_stale_version_is_409_and_changes_nothing(self, tenant):
        ours = self.make(tenant.account)
        api = api_for(tenant, "member")
        field, value = self.change
        assert api.patch(f"{self.resource}/{ours.pk}", {"version": 1, "notes": "first"}).status_code == 200
        error = error_of(api.patch(f"{self.resource}/{ours.pk}", {"version": 1, field: value}), 409)
        assert error["code"] == "conflict"
        ours.refresh_from_db()
        assert ours.version == 2
        assert getattr(ours, field) != value

    # --- PATCH without a version, ETag and If-Match (core/api_preconditions.py) ----------------------------

    def test_patch_without_a_version_changes_only_the_fields_sent(self, tenant):
        ours = self.make(tenant.account, notes="kept")
        api = api_for(tenant, "member")
        field, value = self.change
        response = api.patch(f"{self.resource}/{ours.pk}", {field: value})
        assert response.status_code == 200, response.content
        assert response.json()[field] == value
        assert response.json()["version"] == 2
        assert response["ETag"] == '"2"'
        ours.refresh_from_db()
        assert (getattr(ours, field), ours.notes, ours.version) == (value, "kept", 2)

    def test_without_a_version_the_last_write_wins_only_for_the_fields_it_sends(self, tenant):
        """Two scripts read version 1; the second sends no version: its field wins, the first one's stays."""
        ours = self.make(tenant.account)
        first, second = api_for(tenant, "member"), api_for(tenant, "admin")
        field, value = self.change
        assert first.patch(f"{self.resource}/{ours.pk}", {"version": 1, "notes": "from the first"}).status_code == 200
        assert second.patch(f"{self.resource}/{ours.pk}", {field: value}).status_code == 200
        ours.refresh_from_db()
        assert (getattr(ours, field), ours.notes, ours.version) == (value, "from the first", 3)

    def test_get_and_create_answer_the_etag(self, tenant):
        api = api_for(tenant, "member")
        created = api.post(self.resource, self.minimal)
        assert created.status_code == 201
        assert created["ETag"] == '"1"'
        read = api.get(f"{self.resource}/{created.json()['id']}")
        assert read["ETag"] == '"1"'
        assert "ETag" not in api.get(self.resource)  # a list has no single version

    def test_if_match_with_the_etag_read_is_honoured_and_a_stale_one_is_409(self, tenant):
        ours = self.make(tenant.account)
        api = api_for(tenant, "member")
        field, value = self.change
        etag = api.get(f"{self.resource}/{ours.pk}")["ETag"]
        changed = api.patch(f"{self.resource}/{ours.pk}", {"notes": "first"}, headers={"If-Match": etag})
        assert changed.status_code == 200, changed.content
        assert changed["ETag"] == '"2"'
        stale = api.patch(f"{self.resource}/{ours.pk}", {field: value}, headers={"If-Match": etag})
        assert error_of(stale, 409)["code"] == "conflict"
        ours.refresh_from_db()
        assert ours.version == 2
        assert getattr(ours, field) != value

    def test_if_match_star_checks_nothing(self, tenant):
        ours = self.make(tenant.account)
        response = api_for(tenant, "member").patch(
            f"{self.resource}/{ours.pk}", {"notes": "x"}, headers={"If-Match": "*"}
        )
        assert response.status_code == 200

    @pytest.mark.parametrize(
        "header", ["1", 'W/"1"', '"1", "2"', '"abc"', '"0"', '"-1"', '"99999999999999999999"', "", '"1" junk']
    )
    def test_a_malformed_if_match_is_400_and_changes_nothing(self, tenant, header):
        ours = self.make(tenant.account)
        api = api_for(tenant, "member")
        error = error_of(api.patch(f"{self.resource}/{ours.pk}", {"notes": "x"}, headers={"If-Match": header}), 400)
        assert error["code"] == "validation_error"
        assert list(error["fields"]) == ["If-Match"]
        error_of(api.delete(f"{self.resource}/{ours.pk}", headers={"If-Match": header}), 400)
        ours.refresh_from_db()
        assert (ours.version, ours.notes) == (1, "")
        assert self.count(tenant.account) == 1

    def test_a_body_version_and_an_if_match_that_disagree_are_400(self, tenant):
        ours = self.make(tenant.account)
        api = api_for(tenant, "member")
        url = f"{self.resource}/{ours.pk}"
        error = error_of(api.patch(url, {"version": 1, "notes": "x"}, headers={"If-Match": '"2"'}), 400)
        assert set(error["fields"]) == {"version", "If-Match"}
        ours.refresh_from_db()
        assert ours.version == 1
        agreeing = api.patch(url, {"version": 1, "notes": "x"}, headers={"If-Match": '"1"'})
        assert agreeing.status_code == 200

    def test_delete_honours_if_match(self, tenant):
        ours = self.make(tenant.account)
        api = api_for(tenant, "member")
        assert api.patch(f"{self.resource}/{ours.pk}", {"notes": "changed"}).status_code == 200
        error = error_of(api.delete(f"{self.resource}/{ours.pk}", headers={"If-Match": '"1"'}), 409)
        assert error["code"] == "conflict"
        assert self.count(tenant.account) == 1
        assert api.delete(f"{self.resource}/{ours.pk}", headers={"If-Match": '"2"'}).status_code == 204
        assert self.count(tenant.account) == 0

    def test_a_viewer_with_a_valid_if_match_is_still_403(self, tenant):
        ours = self.make(tenant.account)
        api = api_for(tenant, "viewer")
        error_of(api.patch(f"{self.resource}/{ours.pk}", {"notes": "x"}, headers={"If-Match": '"1"'}), 403)
        error_of(api.delete(f"{self.resource}/{ours.pk}", headers={"If-Match": '"1"'}), 403)

    # --- sources -------------------------------------------------------------------------------------

    def test_explicit_null_source_means_none_and_explicit_source_is_logged_as_api(self, tenant):
        enable_sources(tenant.account)
        source = SourceFactory(account=tenant.account, name="Fair")
        api = api_for(tenant, "member")
        none = api.post(self.resource, {**self.minimal, "source_id": None}).json()
        assert none["source_id"] is None
        chosen = api.post(self.resource, {**self.minimal, "source_id": source.pk}).json()
        assert chosen["source_id"] == source.pk
        assert chosen["source_name"] == "Fair"
        change = SourceChange.objects.for_account(tenant.account).get(record_id=chosen["id"])
        assert change.how == HowChanged.API
        assert change.user_id == tenant.member.pk

    def test_source_writes_while_the_feature_is_off_are_400_feature_disabled(self, tenant):
        source = SourceFactory(account=tenant.account)
        api = api_for(tenant, "member")
        for value in (source.pk, None):
            error = error_of(api.post(self.resource, {**self.minimal, "source_id": value}), 400)
            assert error["code"] == "feature_disabled"
            assert "source_id" in error["fields"]
        assert self.count(tenant.account) == 0
        # Omitting it is fine, and an update that does not mention it keeps the stored source.
        created = api.post(self.resource, self.minimal)
        assert created.status_code == 201
        record = self.model.unscoped.get(pk=created.json()["id"])
        self.model.unscoped.filter(pk=record.pk).update(source=source)
        field, value = self.change
        updated = api.patch(f"{self.resource}/{record.pk}", {"version": 1, field: value}).json()
        assert updated["source_id"] == source.pk
        error = error_of(api.patch(f"{self.resource}/{record.pk}", {"version": 2, "source_id": None}), 400)
        assert error["code"] == "feature_disabled"

    def test_patch_source_change_writes_history(self, tenant):
        enable_sources(tenant.account)
        first, second = SourceFactory(account=tenant.account), SourceFactory(account=tenant.account)
        api = api_for(tenant, "member")
        body = api.post(self.resource, {**self.minimal, "source_id": first.pk}).json()
        body = api.patch(f"{self.resource}/{body['id']}", {"version": 1, "source_id": second.pk}).json()
        assert body["source_id"] == second.pk
        rows = SourceChange.objects.for_account(tenant.account).filter(record_id=body["id"]).order_by("id")
        assert [(r.old_source_id, r.new_source_id, r.how) for r in rows] == [
            (None, first.pk, HowChanged.API),
            (first.pk, second.pk, HowChanged.API),
        ]

    def test_archived_source_is_refused_for_a_new_choice(self, tenant):
        enable_sources(tenant.account)
        archived = SourceFactory(account=tenant.account, archived=True)
        error = error_of(api_for(tenant, "member").post(self.resource, {**self.minimal, "source_id": archived.pk}), 400)
        assert "source_id" in error["fields"]

    def test_filter_by_source_and_no_source(self, tenant):
        enable_sources(tenant.account)
        source = SourceFactory(account=tenant.account)
        api = api_for(tenant, "member")
        with_source = api.post(self.resource, {**self.minimal, "source_id": source.pk}).json()["id"]
        without = api.post(self.resource, {**self.minimal, "source_id": None}).json()["id"]
        assert [r["id"] for r in api.get(self.resource, {"source_id": source.pk}).json()["items"]] == [with_source]
        assert [r["id"] for r in api.get(self.resource, {"source_id": "none"}).json()["items"]] == [without]

    # --- bulk ----------------------------------------------------------------------------------------

    def test_bulk_creates_all_rows(self, tenant):
        api = api_for(tenant, "member")
        rows = [{**self.minimal, self.label_field: f"Row {i}"} for i in range(5)]
        response = api.post(f"{self.resource}/bulk", {"items": rows})
        assert response.status_code == 201, response.content
        assert [r[self.label_field] for r in response.json()["items"]] == [f"Row {i}" for i in range(5)]
        assert self.count(tenant.account) == 5

    def test_bulk_is_all_or_nothing_with_errors_by_row_index(self, tenant, other_tenant):
        rows = [{**self.minimal, self.label_field: f"Row {i}"} for i in range(1000)]
        rows[500] = {**self.minimal, self.label_field: "   "}
        rows[777] = {**self.minimal, "owner_id": other_tenant.admin.pk}
        response = api_for(tenant, "member").post(f"{self.resource}/bulk", {"items": rows})
        error = error_of(response, 400)
        assert set(error["fields"]) == {"rows"}
        assert set(error["fields"]["rows"]) == {"500", "777"}
        assert self.label_field in error["fields"]["rows"]["500"]
        assert "owner_id" in error["fields"]["rows"]["777"]
        assert self.count(tenant.account) == 0
        assert not SourceChange.objects.for_account(tenant.account).exists()

    def test_bulk_type_errors_are_reported_by_row_too(self, tenant):
        rows = [self.minimal, {**self.minimal, "unknown": 1}]
        error = error_of(api_for(tenant, "member").post(f"{self.resource}/bulk", {"items": rows}), 422)
        assert list(error["fields"]["rows"]) == ["1"]
        assert "unknown" in error["fields"]["rows"]["1"]
        assert self.count(tenant.account) == 0

    def test_bulk_over_1000_rows_is_400(self, tenant):
        rows = [self.minimal] * 1001
        error = error_of(api_for(tenant, "member").post(f"{self.resource}/bulk", {"items": rows}), 400)
        assert "items" in error["fields"]
        assert self.count(tenant.account) == 0
