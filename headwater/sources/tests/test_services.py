from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.core.errors import Conflict, NotFound, ValidationFailed
from headwater.core.text import name_key, name_look_key, normalise_spaces
from headwater.deals.models import Deal
from headwater.sources import services
from headwater.sources.models import CatalogAction, HowChanged, Source, SourceChange, SourceEvent
from headwater.sources.selectors import source_list
from headwater.sources.tests.helpers import snapshot
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory


def names(account):
    return list(source_list(account=account).values_list("name", flat=True))


def attempt_create(**kwargs):
    try:
        return services.source_create(**kwargs), None
    except ValidationFailed as exc:
        return None, exc


def events(account, action=None):
    qs = SourceEvent.objects.for_account(account).order_by("id")
    if action:
        qs = qs.filter(action=action)
    return list(qs)


@pytest.fixture
def account(tenant):
    return tenant.account


@pytest.fixture
def admin(tenant):
    return tenant.admin


@pytest.mark.django_db
class TestSettings:
    def test_switches_change_and_log(self, account, admin):
        assert not account.sources_enabled
        services.source_settings_update(account=account, user=admin, enabled=True)
        account.refresh_from_db()
        assert account.sources_enabled
        assert not account.source_default_from_contact
        services.source_settings_update(account=account, user=admin, default_from_contact=True)
        account.refresh_from_db()
        assert account.source_default_from_contact
        logged = events(account, CatalogAction.SWITCHED)
        assert [e.details for e in logged] == [{"enabled": True}, {"default_from_contact": True}]
        assert logged[0].user == admin

    def test_no_change_no_event(self, account, admin):
        services.source_settings_update(account=account, user=admin, enabled=False)
        services.source_settings_update(account=account, user=admin)
        assert events(account) == []

    def test_turning_off_deletes_nothing(self, account, admin, trio):
        company = CompanyFactory(account=account, source=trio[0])
        services.source_settings_update(account=account, user=admin, enabled=True)
        services.source_settings_update(account=account, user=admin, enabled=False)
        company.refresh_from_db()
        assert company.source_id == trio[0].pk
        assert names(account) == ["Google", "Fair", "Partner"]

    def test_non_bool_refused(self, account, admin):
        with pytest.raises(ValidationFailed) as exc:
            services.source_settings_update(account=account, user=admin, enabled="yes")
        assert "enabled" in exc.value.fields
        account.refresh_from_db()
        assert not account.sources_enabled

    def test_only_this_account(self, account, admin, other_tenant):
        services.source_settings_update(account=account, user=admin, enabled=True)
        other_tenant.account.refresh_from_db()
        assert not other_tenant.account.sources_enabled
        assert events(other_tenant.account) == []


@pytest.mark.django_db
class TestCreate:
    def test_appended_at_the_end_trimmed_and_logged(self, account, admin, trio):
        source = services.source_create(account=account, user=admin, name="  Newsletter  ")
        assert source.name == "Newsletter"
        assert source.name_key == "newsletter"
        assert names(account)[-1] == "Newsletter"
        assert source.position > trio[-1].position
        (event,) = events(account, CatalogAction.ADDED)
        assert (event.source_id_ref, event.source_name, event.user) == (source.pk, "Newsletter", admin)

    def test_first_source_of_an_empty_account(self, account, admin):
        source = services.source_create(account=account, user=admin, name="Only")
        assert source.position == 1

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            ("", "Enter a name"),
            ("   ", "Enter a name"),
            ("\u3000 \t\n", "Enter a name"),
            ("\u3164", "Enter a name"),
            ("\u200b\u3000 ", "invisible formatting character (U+200B ZERO WIDTH SPACE)"),
            ("Facebook \u202eAds", "U+202E RIGHT-TO-LEFT OVERRIDE"),
            ("Part\u200dner", "U+200D ZERO WIDTH JOINER"),
            ("\u2067Ads\u2069", "U+2067 RIGHT-TO-LEFT ISOLATE"),
            ("x" * 101, "at most 100 characters (it has 101)"),
            ("Go\x00ogle", "NUL"),
            ("Bell\x07", "control character"),
            (None, "Enter a name"),
        ],
    )
    def test_bad_names_change_nothing(self, account, admin, trio, bad, message):
        before = snapshot(account)
        with pytest.raises(ValidationFailed) as exc:
            services.source_create(account=account, user=admin, name=bad)
        assert message in exc.value.fields["name"][0]
        assert snapshot(account) == before

    def test_exactly_100_characters_is_fine_after_trimming(self, account, admin):
        source = services.source_create(account=account, user=admin, name=" " + "y" * 100 + " ")
        assert len(source.name) == 100

    @pytest.mark.parametrize(
        "variant", ["google", " GOOGLE ", "\uff27\uff4f\uff4f\uff47\uff4c\uff45", "\tgOOgle\n", "google\u3000"]
    )
    def test_duplicates_name_the_existing_source(self, account, admin, trio, variant):
        before = snapshot(account)
        with pytest.raises(ValidationFailed) as exc:
            services.source_create(account=account, user=admin, name=variant)
        assert exc.value.fields["name"] == ["A source named “Google” already exists."]
        assert snapshot(account) == before

    @pytest.mark.parametrize(
        ("variant", "existing"),
        [
            ("Goog1e", "Google"),
            ("GoogIe", "Google"),
            ("G\u043eogle", "Google"),  # a Cyrillic small o
            ("\u0420\u0430rtner", "Partner"),  # Cyrillic capital er and small a
            ("PARTNER", "Partner"),
            ("Fáir", "Fair"),
            ("F a i r", None),
        ],
    )
    def test_lookalikes_name_the_existing_source(self, account, admin, trio, variant, existing):
        before = snapshot(account)
        if existing is None:
            services.source_create(account=account, user=admin, name=variant)
            return
        with pytest.raises(ValidationFailed) as exc:
            services.source_create(account=account, user=admin, name=variant)
        (message,) = exc.value.fields["name"]
        assert f"“{existing}”" in message
        assert snapshot(account) == before

    def test_same_name_in_another_account_is_fine(self, account, admin, other_tenant, trio):
        source = services.source_create(account=other_tenant.account, user=other_tenant.admin, name="Google")
        assert source.account == other_tenant.account
        assert names(account) == ["Google", "Fair", "Partner"]

    def test_markup_is_stored_as_typed(self, account, admin):
        source = services.source_create(account=account, user=admin, name="<script>alert(1)</script>")
        assert source.name == "<script>alert(1)</script>"

    def test_database_constraint_backs_the_check(self, account, admin, trio, monkeypatch):
        # The race path: the pre-check sees nothing (another transaction has not committed yet), the insert hits
        # the unique constraint, and the error is still the clear one naming the winner.
        real = services._existing_with_key
        calls = {"n": 0}

        def miss_first(**kwargs):
            calls["n"] += 1
            return None if calls["n"] == 1 else real(**kwargs)

        monkeypatch.setattr(services, "_existing_with_key", miss_first)
        with pytest.raises(ValidationFailed) as exc:
            services.source_create(account=account, user=admin, name="GOOGLE")
        assert exc.value.fields["name"] == ["A source named “Google” already exists."]
        assert names(account) == ["Google", "Fair", "Partner"]

    def test_constraint_exists(self, account, trio):
        with pytest.raises(IntegrityError):
            Source.unscoped.create(account=account, name="google", name_key="google", look_key="x")

    def test_look_key_constraint_exists(self, account, trio):
        with pytest.raises(IntegrityError):
            Source.unscoped.create(account=account, name="GoogIe", name_key="googie", look_key="google")

    @settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
    @given(text=st.text(min_size=1, max_size=120))
    def test_any_text_is_stored_as_typed_or_refused_clearly(self, account, admin, text):
        before = snapshot(account)
        source, error = attempt_create(account=account, user=admin, name=text)
        if error is not None:
            assert error.fields["name"]
            assert snapshot(account) == before
        else:
            assert source.name == normalise_spaces(text)
            assert (source.name_key, source.look_key) == (name_key(text), name_look_key(text))
            Source.unscoped.filter(pk=source.pk).delete()
            SourceEvent.unscoped.filter(account=account).delete()


@pytest.mark.django_db
class TestRename:
    def test_rename_bumps_version_and_logs(self, account, admin, trio):
        source = services.source_rename(account=account, user=admin, source=trio[0], name=" Google Ads ", version=1)
        assert (source.name, source.name_key, source.version) == ("Google Ads", "google ads", 2)
        (event,) = events(account, CatalogAction.RENAMED)
        assert event.details == {"old": "Google", "new": "Google Ads"}

    def test_case_only_change_of_itself_is_allowed(self, account, admin, trio):
        source = services.source_rename(account=account, user=admin, source=trio[0], name="GOOGLE", version=1)
        assert source.name == "GOOGLE"

    def test_same_name_is_a_no_op(self, account, admin, trio):
        source = services.source_rename(account=account, user=admin, source=trio[0], name="Google ", version=1)
        assert source.version == 1
        assert events(account) == []

    def test_stale_version_is_a_conflict(self, account, admin, trio):
        services.source_rename(account=account, user=admin, source=trio[0], name="First", version=1)
        before = snapshot(account)
        with pytest.raises(Conflict, match="changed by someone else"):
            services.source_rename(account=account, user=admin, source=trio[0], name="Second", version=1)
        assert snapshot(account) == before

    @pytest.mark.parametrize("variant", ["partner", " PARTNER ", "\uff30\uff41\uff52\uff54\uff4e\uff45\uff52"])
    def test_duplicate_of_another(self, account, admin, trio, variant):
        before = snapshot(account)
        with pytest.raises(ValidationFailed) as exc:
            services.source_rename(account=account, user=admin, source=trio[1], name=variant, version=1)
        assert exc.value.fields["name"] == ["A source named “Partner” already exists."]
        assert snapshot(account) == before

    @pytest.mark.parametrize("bad", ["", "  ", "z" * 101, "a\x00b"])
    def test_bad_names_change_nothing(self, account, admin, trio, bad):
        before = snapshot(account)
        with pytest.raises(ValidationFailed):
            services.source_rename(account=account, user=admin, source=trio[0], name=bad, version=1)
        assert snapshot(account) == before

    def test_other_accounts_source_is_not_found(self, account, admin, other_tenant):
        theirs = SourceFactory(account=other_tenant.account, name="Theirs")
        with pytest.raises(NotFound):
            services.source_rename(account=account, user=admin, source=theirs, name="Mine", version=1)
        theirs.refresh_from_db()
        assert theirs.name == "Theirs"

    def test_deleted_meanwhile_is_not_found(self, account, admin, trio):
        Source.unscoped.filter(pk=trio[2].pk).delete()
        with pytest.raises(NotFound):
            services.source_rename(account=account, user=admin, source=trio[2], name="Ghost", version=1)


@pytest.mark.django_db
class TestOrder:
    def test_reorder(self, account, admin, trio):
        services.source_reorder(account=account, user=admin, ordered_ids=[trio[2].pk, trio[0].pk, trio[1].pk])
        assert names(account) == ["Partner", "Google", "Fair"]
        (event,) = events(account, CatalogAction.REORDERED)
        # One source moved: the entry says which, from where to where, not the whole list.
        assert (event.source_id_ref, event.source_name) == (trio[2].pk, "Partner")
        assert event.details == {"moved": True, "from": 3, "to": 1, "count": 3}

    def test_a_new_order_of_several_moves_lists_it(self, account, admin, trio):
        services.source_reorder(account=account, user=admin, ordered_ids=[trio[2].pk, trio[1].pk, trio[0].pk])
        (event,) = events(account, CatalogAction.REORDERED)
        assert event.details["order"] == ["Partner", "Fair", "Google"]

    def test_reorder_does_not_bump_versions(self, account, admin, trio):
        # The version guards name and archive state; moving a row must not make an open rename form stale.
        services.source_reorder(account=account, user=admin, ordered_ids=[trio[1].pk, trio[0].pk, trio[2].pk])
        assert {s.version for s in source_list(account=account)} == {1}

    def test_same_order_logs_nothing(self, account, admin, trio):
        services.source_reorder(account=account, user=admin, ordered_ids=[s.pk for s in trio])
        assert events(account) == []

    def test_positions_are_normalised(self, account, admin):
        a = SourceFactory(account=account, name="A", position=50)
        b = SourceFactory(account=account, name="B", position=50)
        services.source_reorder(account=account, user=admin, ordered_ids=[b.pk, a.pk])
        assert list(source_list(account=account).values_list("name", "position")) == [("B", 1), ("A", 2)]

    @pytest.mark.parametrize(
        "make_ids",
        [
            lambda t, o: [t[0].pk, t[1].pk],  # missing one
            lambda t, o: [t[0].pk, t[1].pk, t[2].pk, t[2].pk],  # duplicate
            lambda t, o: [t[0].pk, t[1].pk, t[1].pk],  # duplicate replacing one
            lambda t, o: [t[0].pk, t[1].pk, o.pk],  # another account's id
            lambda t, o: [t[0].pk, t[1].pk, t[2].pk, o.pk],  # extra foreign id
            lambda t, o: [t[0].pk, t[1].pk, 999_999],  # unknown id
            lambda t, o: [str(t[0].pk), t[1].pk, t[2].pk],  # not an int
            lambda t, o: [],
        ],
    )
    def test_non_permutation_refused(self, account, admin, trio, other_tenant, make_ids):
        foreign = SourceFactory(account=other_tenant.account)
        before, theirs_before = snapshot(account), snapshot(other_tenant.account)
        with pytest.raises(ValidationFailed) as exc:
            services.source_reorder(account=account, user=admin, ordered_ids=make_ids(trio, foreign))
        assert "ordered_ids" in exc.value.fields
        assert snapshot(account) == before
        assert snapshot(other_tenant.account) == theirs_before

    def test_move_up_and_down(self, account, admin, trio):
        services.source_move(account=account, user=admin, source=trio[2], direction="up")
        assert names(account) == ["Google", "Partner", "Fair"]
        services.source_move(account=account, user=admin, source=trio[0], direction="down")
        assert names(account) == ["Partner", "Google", "Fair"]
        assert len(events(account, CatalogAction.REORDERED)) == 2

    def test_the_steps_of_one_move_are_one_entry(self, account, admin, trio):
        """Issue 11: moving a source from 12th to 1st with the ↑ button wrote 11 entries listing every name."""
        extra = [SourceFactory(account=account, name=f"Extra {i}", position=10 + i) for i in range(9)]
        last = extra[-1]
        for _step in range(11):
            services.source_move(account=account, user=admin, source=last, direction="up")
        assert names(account)[0] == "Extra 8"
        (event,) = events(account, CatalogAction.REORDERED)
        assert (event.source_id_ref, event.user) == (last.pk, admin)
        assert event.details == {"moved": True, "from": 12, "to": 1, "count": 12}
        # Back down two places: still the same move.
        services.source_move(account=account, user=admin, source=last, direction="down")
        services.source_move(account=account, user=admin, source=last, direction="down")
        (event,) = events(account, CatalogAction.REORDERED)
        assert (event.details["from"], event.details["to"]) == (12, 3)

    def test_another_source_user_or_change_starts_a_new_entry(self, account, admin, trio, tenant):
        services.source_move(account=account, user=admin, source=trio[2], direction="up")
        services.source_move(account=account, user=admin, source=trio[0], direction="down")
        assert len(events(account, CatalogAction.REORDERED)) == 2
        services.source_move(account=account, user=tenant.member, source=trio[0], direction="down")
        assert len(events(account, CatalogAction.REORDERED)) == 3
        services.source_archive(account=account, user=admin, source=trio[1])
        services.source_move(account=account, user=tenant.member, source=trio[0], direction="up")
        assert len(events(account, CatalogAction.REORDERED)) == 4

    def test_a_step_long_after_starts_a_new_entry(self, account, admin, trio):
        services.source_move(account=account, user=admin, source=trio[2], direction="up")
        SourceEvent.unscoped.filter(account=account).update(at=timezone.now() - services.MOVE_STEPS_WINDOW)
        services.source_move(account=account, user=admin, source=trio[2], direction="up")
        assert len(events(account, CatalogAction.REORDERED)) == 2

    def test_move_past_the_ends_changes_nothing(self, account, admin, trio):
        services.source_move(account=account, user=admin, source=trio[0], direction="up")
        services.source_move(account=account, user=admin, source=trio[2], direction="down")
        assert names(account) == ["Google", "Fair", "Partner"]
        assert events(account) == []

    def test_move_bad_direction_and_foreign_source(self, account, admin, trio, other_tenant):
        with pytest.raises(ValidationFailed):
            services.source_move(account=account, user=admin, source=trio[0], direction="sideways")
        theirs = SourceFactory(account=other_tenant.account)
        with pytest.raises(NotFound):
            services.source_move(account=account, user=admin, source=theirs, direction="up")
        assert names(account) == ["Google", "Fair", "Partner"]


@pytest.mark.django_db
class TestArchive:
    def test_archive_and_unarchive(self, account, admin, trio):
        company = CompanyFactory(account=account, source=trio[0])
        source = services.source_archive(account=account, user=admin, source=trio[0], version=1)
        assert (source.archived, source.version) == (True, 2)
        company.refresh_from_db()
        assert company.source_id == trio[0].pk
        source = services.source_unarchive(account=account, user=admin, source=source, version=2)
        assert (source.archived, source.version) == (False, 3)
        assert [e.action for e in events(account)] == [CatalogAction.ARCHIVED, CatalogAction.UNARCHIVED]

    def test_archive_twice_is_a_no_op(self, account, admin, trio):
        services.source_archive(account=account, user=admin, source=trio[0])
        source = services.source_archive(account=account, user=admin, source=trio[0])
        assert source.version == 2
        assert len(events(account)) == 1

    def test_stale_version_conflict(self, account, admin, trio):
        services.source_rename(account=account, user=admin, source=trio[0], name="Renamed", version=1)
        with pytest.raises(Conflict):
            services.source_archive(account=account, user=admin, source=trio[0], version=1)
        trio[0].refresh_from_db()
        assert not trio[0].archived

    def test_foreign_source(self, account, admin, other_tenant):
        theirs = SourceFactory(account=other_tenant.account)
        with pytest.raises(NotFound):
            services.source_archive(account=account, user=admin, source=theirs)
        theirs.refresh_from_db()
        assert not theirs.archived


@pytest.mark.django_db
class TestDelete:
    def test_unused_source(self, account, admin, trio):
        services.source_delete(account=account, user=admin, source=trio[1], mode="only_if_unused")
        assert names(account) == ["Google", "Partner"]
        (event,) = events(account, CatalogAction.DELETED)
        assert event.source_name == "Fair"
        assert event.details == {"mode": "only_if_unused", "companies": 0, "persons": 0, "deals": 0}

    def test_used_source_refused_with_counts(self, account, admin, used):
        before = snapshot(account)
        with pytest.raises(ValidationFailed) as exc:
            services.source_delete(account=account, user=admin, source=used, mode="only_if_unused")
        assert "companies: 2, persons: 1, deals: 3" in exc.value.fields["mode"][0]
        assert snapshot(account) == before

    def test_clear_with_confirmed_count(self, account, admin, used):
        deal_versions = dict(Deal.objects.for_account(account).values_list("pk", "version"))
        services.source_delete(account=account, user=admin, source=used, mode="clear", expected_count=6)
        assert "Google" not in names(account)
        assert not Deal.objects.for_account(account).filter(source_id=used.pk).exists()
        changes = SourceChange.objects.for_account(account).filter(how=HowChanged.CLEARED)
        assert sorted(changes.values_list("record_type", flat=True)) == [
            "company",
            "company",
            "deal",
            "deal",
            "deal",
            "person",
        ]
        assert {(c.old_name, c.new_source_id, c.user_id) for c in changes} == {("Google", None, admin.pk)}
        for deal in Deal.objects.for_account(account).filter(source__isnull=True):
            assert deal.version == deal_versions[deal.pk] + 1
        fair_deal = Deal.objects.for_account(account).get(source__name="Fair")
        assert fair_deal.version == deal_versions[fair_deal.pk]
        (event,) = events(account, CatalogAction.DELETED)
        assert event.details == {"mode": "clear", "companies": 2, "persons": 1, "deals": 3}

    @pytest.mark.parametrize("wrong", [5, 7, 0, True])
    def test_clear_with_another_count_is_a_conflict(self, account, admin, used, wrong):
        before = snapshot(account)
        with pytest.raises(Conflict, match="now 6"):
            services.source_delete(account=account, user=admin, source=used, mode="clear", expected_count=wrong)
        assert snapshot(account) == before

    def test_clear_without_confirmation_refused(self, account, admin, used):
        before = snapshot(account)
        with pytest.raises(ValidationFailed) as exc:
            services.source_delete(account=account, user=admin, source=used, mode="clear")
        assert "6 records" in exc.value.fields["expected_count"][0]
        assert snapshot(account) == before

    def test_clear_of_an_unused_source_needs_no_count(self, account, admin, trio):
        services.source_delete(account=account, user=admin, source=trio[2], mode="clear")
        assert names(account) == ["Google", "Fair"]

    def test_bad_mode(self, account, admin, trio):
        with pytest.raises(ValidationFailed):
            services.source_delete(account=account, user=admin, source=trio[2], mode="force")
        assert len(names(account)) == 3

    def test_foreign_source(self, account, admin, other_tenant):
        theirs = SourceFactory(account=other_tenant.account)
        with pytest.raises(NotFound):
            services.source_delete(account=account, user=admin, source=theirs, mode="only_if_unused")
        assert Source.unscoped.filter(pk=theirs.pk).exists()

    def test_other_accounts_records_untouched(self, account, admin, used, other_tenant):
        theirs = SourceFactory(account=other_tenant.account, name="Google")
        their_deal = DealFactory(account=other_tenant.account, source=theirs)
        services.source_delete(account=account, user=admin, source=used, mode="clear", expected_count=6)
        their_deal.refresh_from_db()
        assert (their_deal.source_id, their_deal.version) == (theirs.pk, 1)


@pytest.mark.django_db
class TestMerge:
    def test_merge_moves_every_record_type(self, account, admin, used, trio):
        fair = trio[1]
        moved = services.source_merge(account=account, user=admin, source=used, into=fair)
        assert moved == 6
        assert names(account) == ["Fair", "Partner"]
        assert Deal.objects.for_account(account).filter(source=fair).count() == 4
        assert CompanyFactory._meta.model.objects.for_account(account).filter(source=fair).count() == 2
        assert PersonFactory._meta.model.objects.for_account(account).filter(source=fair).count() == 1
        changes = SourceChange.objects.for_account(account).filter(how=HowChanged.MERGE)
        assert changes.count() == 6
        assert {(c.old_source_id, c.old_name, c.new_source_id, c.new_name) for c in changes} == {
            (used.pk, "Google", fair.pk, "Fair")
        }
        (event,) = events(account, CatalogAction.MERGED)
        assert event.source_name == "Google"
        assert event.details == {
            "into_id": fair.pk,
            "into_name": "Fair",
            "companies": 2,
            "persons": 1,
            "deals": 3,
            "aliases": 1,
        }

    def test_merge_bumps_record_versions(self, account, admin, used, trio):
        deal = Deal.objects.for_account(account).filter(source=used).first()
        services.source_merge(account=account, user=admin, source=used, into=trio[1])
        deal.refresh_from_db()
        assert deal.version == 2

    def test_merge_into_archived_target_is_allowed(self, account, admin, used, trio):
        services.source_archive(account=account, user=admin, source=trio[2])
        assert services.source_merge(account=account, user=admin, source=used, into=trio[2]) == 6

    def test_merge_into_itself_refused(self, account, admin, used):
        before = snapshot(account)
        with pytest.raises(ValidationFailed) as exc:
            services.source_merge(account=account, user=admin, source=used, into=used)
        assert "into" in exc.value.fields
        assert snapshot(account) == before

    def test_merge_into_other_accounts_source_refused(self, account, admin, used, other_tenant):
        theirs = SourceFactory(account=other_tenant.account)
        before = snapshot(account)
        with pytest.raises(ValidationFailed) as exc:
            services.source_merge(account=account, user=admin, source=used, into=theirs)
        assert "into" in exc.value.fields
        assert snapshot(account) == before
        assert not Deal.unscoped.filter(source=theirs).exists()

    def test_merge_of_other_accounts_source_not_found(self, account, admin, trio, other_tenant):
        theirs = SourceFactory(account=other_tenant.account)
        DealFactory(account=other_tenant.account, source=theirs)
        with pytest.raises(NotFound):
            services.source_merge(account=account, user=admin, source=theirs, into=trio[0])
        assert Deal.unscoped.filter(source=theirs).count() == 1

    def test_merge_with_stale_version(self, account, admin, used, trio):
        before = snapshot(account)
        with pytest.raises(Conflict):
            services.source_merge(account=account, user=admin, source=used, into=trio[1], version=7)
        assert snapshot(account) == before

    def test_merge_target_deleted_meanwhile(self, account, admin, used, trio):
        gone = Source(pk=trio[2].pk, account=account, name="Partner")
        Source.unscoped.filter(pk=trio[2].pk).delete()
        with pytest.raises(ValidationFailed):
            services.source_merge(account=account, user=admin, source=used, into=gone)
        assert Deal.objects.for_account(account).filter(source=used).count() == 3

    def test_merge_is_all_or_nothing(self, account, admin, used, trio, monkeypatch):
        # The history insert runs after every record update; make it fail there.
        def boom(*args, **kwargs):
            raise RuntimeError("disk full")

        deals_before = sorted(Deal.objects.for_account(account).values_list("pk", "source_id", "version"))
        before = snapshot(account)
        monkeypatch.setattr(SourceChange.unscoped, "bulk_create", boom)
        with pytest.raises(RuntimeError):
            services.source_merge(account=account, user=admin, source=used, into=trio[1])
        assert snapshot(account) == before
        assert sorted(Deal.objects.for_account(account).values_list("pk", "source_id", "version")) == deals_before

    def test_clear_is_all_or_nothing(self, account, admin, used, monkeypatch):
        def boom(*args, **kwargs):
            raise RuntimeError("disk full")

        before = snapshot(account)
        monkeypatch.setattr(services, "_delete_row", boom)
        with pytest.raises(RuntimeError):
            services.source_delete(account=account, user=admin, source=used, mode="clear", expected_count=6)
        assert snapshot(account) == before
        assert Deal.objects.for_account(account).filter(source=used).count() == 3


@pytest.mark.django_db
class TestRecordSetSource:
    def test_logs_old_and_new(self, account, admin, trio):
        deal = DealFactory(account=account, source=trio[0])
        assert services.record_set_source(
            account=account, record=deal, source=trio[1], how=HowChanged.TYPED, user=admin
        )
        deal.save()
        change = SourceChange.objects.for_account(account).get()
        assert (change.record_type, change.record_id, change.old_name, change.new_name, change.how) == (
            "deal",
            deal.pk,
            "Google",
            "Fair",
            HowChanged.TYPED,
        )

    def test_unchanged_is_false(self, account, admin, trio):
        deal = DealFactory(account=account, source=trio[0])
        assert not services.record_set_source(
            account=account, record=deal, source=trio[0], how=HowChanged.TYPED, user=admin
        )
        assert not SourceChange.objects.for_account(account).exists()

    def test_foreign_source_refused(self, account, admin, other_tenant):
        deal = DealFactory(account=account)
        theirs = SourceFactory(account=other_tenant.account)
        with pytest.raises(ValidationFailed) as exc:
            services.record_set_source(account=account, record=deal, source=theirs, how=HowChanged.TYPED, user=admin)
        assert "source" in exc.value.fields
        assert deal.source_id is None

    def test_source_gone_meanwhile_refused(self, account, admin, trio):
        deal = DealFactory(account=account)
        stale = Source.objects.for_account(account).get(pk=trio[2].pk)
        services.source_delete(account=account, user=admin, source=trio[2], mode="only_if_unused")
        with pytest.raises(ValidationFailed) as exc:
            services.record_set_source(account=account, record=deal, source=stale, how=HowChanged.TYPED, user=admin)
        assert "no longer exists" in exc.value.fields["source"][0]
        assert deal.source_id is None

    def test_lock_for_assignment(self, account, trio, other_tenant):
        assert services.source_lock_for_assignment(account=account, source_id=trio[0].pk) == trio[0]
        theirs = SourceFactory(account=other_tenant.account)
        for bad in (theirs.pk, 999_999, "1", None):
            with pytest.raises(ValidationFailed):
                services.source_lock_for_assignment(account=account, source_id=bad)


@pytest.mark.django_db
def test_seed_starter_in_the_account_language(tenant):
    sources = services.sources_seed_starter(account=tenant.account)
    assert [s.name for s in sources][:3] == ["Website", "Referral", "Cold call"]
    assert [s.position for s in sources] == list(range(1, 10))
    assert all(s.name_key == name_key(s.name) for s in sources)
