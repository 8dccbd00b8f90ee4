from __future__ import annotations

import re

import pytest

from headwater.deals.models import Deal
from headwater.sources import services
from headwater.sources.models import CatalogAction, HowChanged, Source, SourceChange, SourceEvent
from headwater.sources.selectors import source_list
from headwater.sources.tests.helpers import page_text, snapshot
from headwater.testing.factories import DealFactory, SourceFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def names(account):
    return list(source_list(account=account).values_list("name", flat=True))


def write_endpoints(tenant, trio, used):
    """Every write of the page with data that would succeed for an admin."""
    g, f, p = trio
    return [
        ("settings/sources/switches/", {"enabled": "on", "default_from_contact": "on"}),
        ("settings/sources/add/", {"name": "Hacked"}),
        ("settings/sources/reorder/", {"ordered_ids": [p.pk, f.pk, g.pk]}),
        (f"settings/sources/{g.pk}/rename/", {f"rename-{g.pk}-name": "Hacked", f"rename-{g.pk}-version": 1}),
        (f"settings/sources/{f.pk}/move/", {"direction": "up"}),
        (f"settings/sources/{g.pk}/archive/", {"version": 1}),
        (f"settings/sources/{g.pk}/unarchive/", {"version": 1}),
        (f"settings/sources/{p.pk}/delete/", {"action": "delete"}),
        (f"settings/sources/{g.pk}/delete/", {"action": "clear", "clear-confirm": "on", "clear-expected_count": 6}),
        (f"settings/sources/{g.pk}/delete/", {"action": "archive"}),
        (f"settings/sources/{g.pk}/delete/", {"action": "merge", "merge-into": f.pk}),
        (f"settings/sources/{g.pk}/merge/", {"merge-into": f.pk}),
    ]


READ_PATHS = [
    "settings/sources/",
    "settings/sources/history/",
    "settings/sources/{g}/rename/",
    "settings/sources/{g}/delete/",
    "settings/sources/{g}/merge/",
]


@pytest.mark.django_db
class TestRoles:
    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_reads_are_admin_only(self, tenant, trio, role):
        client = tenant.client_for(role)
        for path in READ_PATHS:
            assert client.get(tenant.url(path.format(g=trio[0].pk))).status_code == 403, path

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_writes_are_refused_and_change_nothing(self, tenant, trio, used, role):
        client = tenant.client_for(role)
        before = snapshot(tenant.account)
        for path, data in write_endpoints(tenant, trio, used):
            assert client.post(tenant.url(path), data).status_code == 403, path
            assert client.post(tenant.url(path), data, **HTMX).status_code == 403, path
        assert snapshot(tenant.account) == before

    def test_anonymous_goes_to_login(self, tenant, client, trio):
        response = client.get(tenant.url("settings/sources/"))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
        assert client.post(tenant.url("settings/sources/add/"), {"name": "X"}).status_code == 302
        assert names(tenant.account) == ["Google", "Fair", "Partner"]

    def test_admin_of_another_account_gets_404(self, tenant, other_tenant, trio, used):
        client = other_tenant.client_for("admin")
        before = snapshot(tenant.account)
        assert client.get(tenant.url("settings/sources/")).status_code == 404
        for path, data in write_endpoints(tenant, trio, used):
            assert client.post(tenant.url(path), data).status_code == 404, path
        assert snapshot(tenant.account) == before


@pytest.mark.django_db
class TestOtherAccountsSourceIds:
    """Another account's source through my own account's URLs: 404, like an id that does not exist."""

    @pytest.mark.parametrize("action", ["rename", "delete", "merge"])
    def test_get(self, tenant, other_tenant, admin_client, action):
        theirs = SourceFactory(account=other_tenant.account)
        assert admin_client.get(tenant.url(f"settings/sources/{theirs.pk}/{action}/")).status_code == 404
        assert admin_client.get(tenant.url(f"settings/sources/999999/{action}/")).status_code == 404

    @pytest.mark.parametrize("action", ["rename", "move", "archive", "unarchive", "delete", "merge"])
    def test_post(self, tenant, other_tenant, admin_client, action):
        theirs = SourceFactory(account=other_tenant.account, name="Theirs")
        DealFactory(account=other_tenant.account, source=theirs)
        before = snapshot(other_tenant.account)
        data = {"direction": "up", "action": "delete", f"rename-{theirs.pk}-name": "X", "version": 1}
        assert admin_client.post(tenant.url(f"settings/sources/{theirs.pk}/{action}/"), data).status_code == 404
        assert snapshot(other_tenant.account) == before

    def test_merge_into_their_source_is_refused(self, tenant, other_tenant, admin_client, used):
        theirs = SourceFactory(account=other_tenant.account, name="Theirs")
        before = snapshot(tenant.account)
        response = admin_client.post(tenant.url(f"settings/sources/{used.pk}/merge/"), {"merge-into": theirs.pk})
        assert response.status_code == 200
        assert "Choose a source" in response.text
        assert snapshot(tenant.account) == before
        assert not Deal.unscoped.filter(source=theirs).exists()

    def test_reorder_with_their_ids_is_refused(self, tenant, other_tenant, admin_client, trio):
        theirs = SourceFactory(account=other_tenant.account)
        before = snapshot(tenant.account)
        ids = [trio[0].pk, trio[1].pk, theirs.pk]
        response = admin_client.post(tenant.url("settings/sources/reorder/"), {"ordered_ids": ids}, **HTMX)
        assert "must list every source" in response.text
        assert snapshot(tenant.account) == before


@pytest.mark.django_db
class TestPage:
    def test_lists_sources_in_order_with_counts_and_links(self, tenant, admin_client, used, trio):
        services.source_settings_update(account=tenant.account, user=tenant.admin, enabled=True)
        response = admin_client.get(tenant.url("settings/sources/"))
        assert response.status_code == 200
        html = response.text
        assert html.index("Google") < html.index("Fair") < html.index("Partner")
        assert f'/a/alpha/deals/?source={used.pk}"' in html
        assert 'aria-label="3 deals from “Google”"' in html
        assert 'aria-label="2 companies from “Google”"' in html
        assert 'aria-label="1 person from “Google”"' in html
        assert 'aria-current="page"' in html

    def test_counts_are_not_links_while_sources_are_off(self, tenant, admin_client, used, trio):
        """Issue 11: the lists ignore ?source= while sources are off, so the links showed every record."""
        html = admin_client.get(tenant.url("settings/sources/")).text
        assert "?source=" not in html
        row = html[html.index(f'id="source-{used.pk}"') :]
        assert [cell.split("</td>")[0] for cell in row.split('<td class="num">')[1:4]] == ["2", "1", "3"]
        assert "once acquisition sources are on" in html
        for path in (f"settings/sources/{used.pk}/delete/", f"settings/sources/{used.pk}/merge/"):
            page = admin_client.get(tenant.url(path)).text
            assert "?source=" not in page
            assert "2 companies" in page
            assert "3 deals" in page
        services.source_settings_update(account=tenant.account, user=tenant.admin, enabled=True)
        assert (
            f"/a/alpha/deals/?source={used.pk}"
            in admin_client.get(tenant.url(f"settings/sources/{used.pk}/delete/")).text
        )

    def test_names_are_escaped(self, tenant, admin_client):
        services.source_create(account=tenant.account, user=tenant.admin, name="<script>alert(1)</script>")
        html = admin_client.get(tenant.url("settings/sources/")).text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_archived_badge(self, tenant, admin_client, trio):
        services.source_archive(account=tenant.account, user=tenant.admin, source=trio[1])
        html = admin_client.get(tenant.url("settings/sources/")).text
        assert 'class="badge badge--archived"' in html
        assert "Restore<span" in html

    def test_switch_explained_while_off(self, tenant, admin_client):
        html = admin_client.get(tenant.url("settings/sources/")).text
        assert "Available when acquisition sources are on." in html
        assert re.search(r'<input type="checkbox" name="default_from_contact" disabled[^>]*>', html)

    def test_polish_page_renders(self, tenant, admin_client, trio):
        admin_client.cookies["django_language"] = "pl"
        response = admin_client.get(tenant.url("settings/sources/"))
        assert response.status_code == 200
        assert '<html lang="pl">' in response.text


@pytest.mark.django_db
class TestSwitches:
    def test_turn_on_both(self, tenant, admin_client):
        response = admin_client.post(
            tenant.url("settings/sources/switches/"), {"enabled": "on", "default_from_contact": "on"}
        )
        assert response.status_code == 302
        tenant.account.refresh_from_db()
        assert (tenant.account.sources_enabled, tenant.account.source_default_from_contact) == (True, True)

    def test_turning_off_keeps_the_default_rule_setting(self, tenant, admin_client):
        services.source_settings_update(
            account=tenant.account, user=tenant.admin, enabled=True, default_from_contact=True
        )
        # While off the second box is disabled in the browser, so it is not submitted at all.
        admin_client.post(tenant.url("settings/sources/switches/"), {})
        tenant.account.refresh_from_db()
        assert (tenant.account.sources_enabled, tenant.account.source_default_from_contact) == (False, True)

    def test_turn_off_default_only(self, tenant, admin_client):
        services.source_settings_update(
            account=tenant.account, user=tenant.admin, enabled=True, default_from_contact=True
        )
        admin_client.post(tenant.url("settings/sources/switches/"), {"enabled": "on"})
        tenant.account.refresh_from_db()
        assert (tenant.account.sources_enabled, tenant.account.source_default_from_contact) == (True, False)


@pytest.mark.django_db
class TestAdd:
    def test_plain_post_redirects_with_message(self, tenant, admin_client, trio):
        response = admin_client.post(tenant.url("settings/sources/add/"), {"name": " Newsletter "}, follow=True)
        assert names(tenant.account)[-1] == "Newsletter"
        assert "Source “Newsletter” added." in page_text(response.text)

    def test_htmx_returns_the_fragment_with_history(self, tenant, admin_client, trio):
        response = admin_client.post(tenant.url("settings/sources/add/"), {"name": "Newsletter"}, **HTMX)
        assert response.status_code == 200
        assert response.text.lstrip().startswith("<section")
        assert 'id="sources-catalogue"' in response.text
        assert 'hx-swap-oob="true"' in response.text
        assert "Added “Newsletter”." in page_text(response.text)
        assert "<html" not in response.text

    @pytest.mark.parametrize(
        "case",
        [
            (" google ", "A source named “Google” already exists."),
            ("", "Enter a name for the source."),
            ("x" * 101, "at most 100 characters (it has 101)"),
            ("a\x00b", "NUL"),
        ],
    )
    @pytest.mark.parametrize("headers", [{}, HTMX])
    def test_errors_inline_and_typed_text_kept(self, tenant, admin_client, trio, case, headers):
        typed, message = case
        before = snapshot(tenant.account)
        response = admin_client.post(tenant.url("settings/sources/add/"), {"name": typed}, **headers)
        assert response.status_code == 200
        assert message in response.text
        assert 'class="field__error"' in response.text
        if typed.strip() and "\x00" not in typed:
            assert f'value="{typed}"' in response.text
        assert snapshot(tenant.account) == before


CYRILLIC_PARTNER = "\u0420\u0430rtner"


@pytest.mark.django_db
class TestNameRules:
    """Issue 11: duplicates that got in through spacing, accents, other scripts and invisible characters."""

    @pytest.mark.parametrize(
        "case",
        [
            ("Strona  WWW", "A source named “Strona WWW” already exists."),
            ("Polecénie", "“Polecénie” is too similar to the existing source “Polecenie”"),
            (CYRILLIC_PARTNER, f"“{CYRILLIC_PARTNER}” is too similar to the existing source “Partner”"),
            ("GoogIe", "“GoogIe” is too similar to the existing source “Google”"),
            ("Goo\u200bgle", "invisible formatting character (U+200B ZERO WIDTH SPACE)"),
            ("Facebook \u202eAds", "invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        ],
    )
    @pytest.mark.parametrize("headers", [{}, HTMX])
    @pytest.mark.usefixtures("trio")
    def test_add_refuses_lookalikes_and_invisible_characters(self, tenant, admin_client, case, headers):
        typed, message = case
        for name in ("Strona WWW", "Polecenie"):
            services.source_create(account=tenant.account, user=tenant.admin, name=name)
        before = snapshot(tenant.account)
        response = admin_client.post(tenant.url("settings/sources/add/"), {"name": typed}, **headers)
        assert response.status_code == 200
        assert message in response.text
        assert snapshot(tenant.account) == before

    def test_add_stores_the_name_with_spaces_collapsed(self, tenant, admin_client):
        admin_client.post(tenant.url("settings/sources/add/"), {"name": "  Strona \t  WWW  "})
        assert names(tenant.account) == ["Strona WWW"]

    def test_rename_to_a_lookalike_names_the_existing_source(self, tenant, admin_client, trio):
        pk = trio[0].pk
        before = snapshot(tenant.account)
        response = admin_client.post(
            tenant.url(f"settings/sources/{pk}/rename/"),
            {f"rename-{pk}-name": CYRILLIC_PARTNER, f"rename-{pk}-version": 1},
            **HTMX,
        )
        assert "is too similar to the existing source “Partner”" in response.text
        response = admin_client.post(
            tenant.url(f"settings/sources/{pk}/rename/"),
            {f"rename-{pk}-name": "Google\u202e Ads", f"rename-{pk}-version": 1},
            **HTMX,
        )
        assert "U+202E RIGHT-TO-LEFT OVERRIDE" in response.text
        assert snapshot(tenant.account) == before

    def test_renaming_itself_to_a_lookalike_of_its_own_name_is_fine(self, tenant, admin_client, trio):
        pk = trio[0].pk
        admin_client.post(
            tenant.url(f"settings/sources/{pk}/rename/"), {f"rename-{pk}-name": "GOOGLE", f"rename-{pk}-version": 1}
        )
        assert names(tenant.account)[0] == "GOOGLE"


@pytest.mark.django_db
class TestRename:
    def test_get_shows_a_labelled_input(self, tenant, admin_client, trio):
        response = admin_client.get(tenant.url(f"settings/sources/{trio[0].pk}/rename/"), **HTMX)
        assert response.status_code == 200
        assert f'<label for="id_rename-{trio[0].pk}-name">New name for “Google”' in response.text
        assert 'value="Google"' in response.text
        # Without htmx the same URL is the full page with that row in edit mode.
        assert "<html" in admin_client.get(tenant.url(f"settings/sources/{trio[0].pk}/rename/")).text

    def test_save(self, tenant, admin_client, trio):
        pk = trio[0].pk
        response = admin_client.post(
            tenant.url(f"settings/sources/{pk}/rename/"), {f"rename-{pk}-name": "Google Ads", f"rename-{pk}-version": 1}
        )
        assert response.status_code == 302
        assert names(tenant.account)[0] == "Google Ads"

    def test_stale_version_keeps_what_was_typed(self, tenant, admin_client, trio):
        pk = trio[0].pk
        services.source_rename(account=tenant.account, user=tenant.admin, source=trio[0], name="Other", version=1)
        before = snapshot(tenant.account)
        data = {f"rename-{pk}-name": "My new name", f"rename-{pk}-version": 1}
        for headers in ({}, HTMX):
            response = admin_client.post(tenant.url(f"settings/sources/{pk}/rename/"), data, **headers)
            assert response.status_code == 200
            assert "changed by someone else" in response.text
            assert 'value="My new name"' in response.text
            # The re-rendered form carries the current version, so a deliberate second save goes through.
            assert f'name="rename-{pk}-version" value="2"' in response.text
        assert snapshot(tenant.account) == before

    def test_duplicate_error_next_to_the_field(self, tenant, admin_client, trio):
        pk = trio[0].pk
        response = admin_client.post(
            tenant.url(f"settings/sources/{pk}/rename/"),
            {f"rename-{pk}-name": "FAIR", f"rename-{pk}-version": 1},
            **HTMX,
        )
        assert 'class="field__error" role="alert">A source named “Fair” already exists.' in response.text


@pytest.mark.django_db
class TestOrderAndArchive:
    def test_move_buttons(self, tenant, admin_client, trio):
        admin_client.post(tenant.url(f"settings/sources/{trio[2].pk}/move/"), {"direction": "up"})
        assert names(tenant.account) == ["Google", "Partner", "Fair"]
        response = admin_client.post(tenant.url(f"settings/sources/{trio[0].pk}/move/"), {"direction": "down"}, **HTMX)
        assert "“Google” is now in place 2 of 3." in page_text(response.text)
        assert names(tenant.account) == ["Partner", "Google", "Fair"]

    def test_the_moved_rows_button_keeps_the_focus(self, tenant, admin_client, trio):
        """The row is swapped after each step: the same button is autofocused (htmx focuses it), or the other
        one once the row reached an end and that button is disabled."""

        def focused(response):
            html = response.text
            tag = html[: html.index(" autofocus>")]
            tag = tag[tag.rindex("<button") :]
            row = html[: html.index(" autofocus>")]
            return row[row.rindex('<tr id="source-') :].split('"')[1], tag.split('value="')[1].split('"')[0]

        partner = tenant.url(f"settings/sources/{trio[2].pk}/move/")
        # Partner from 3rd to 2nd: ↑ is still there.
        assert focused(admin_client.post(partner, {"direction": "up"}, **HTMX)) == (f"source-{trio[2].pk}", "up")
        # ...and to 1st: ↑ is disabled now, so ↓ takes the focus.
        assert focused(admin_client.post(partner, {"direction": "up"}, **HTMX)) == (f"source-{trio[2].pk}", "down")
        # Without JavaScript the redirect brings the row back into view.
        response = admin_client.post(partner, {"direction": "down"})
        assert response.headers["Location"].endswith(f"#source-{trio[2].pk}")

    def test_move_bad_direction(self, tenant, admin_client, trio):
        response = admin_client.post(tenant.url(f"settings/sources/{trio[1].pk}/move/"), {"direction": "x"}, **HTMX)
        assert "Choose up or down." in response.text
        assert names(tenant.account) == ["Google", "Fair", "Partner"]

    def test_reorder(self, tenant, admin_client, trio):
        g, f, p = trio
        response = admin_client.post(tenant.url("settings/sources/reorder/"), {"ordered_ids": [p.pk, g.pk, f.pk]})
        assert response.status_code == 302
        assert names(tenant.account) == ["Partner", "Google", "Fair"]

    @pytest.mark.parametrize("ids", [["x"], [], ["1", "2"]])
    def test_reorder_garbage(self, tenant, admin_client, trio, ids):
        before = snapshot(tenant.account)
        response = admin_client.post(tenant.url("settings/sources/reorder/"), {"ordered_ids": ids}, follow=True)
        assert "must list every source" in response.text
        assert snapshot(tenant.account) == before

    def test_archive_and_restore(self, tenant, admin_client, trio):
        admin_client.post(tenant.url(f"settings/sources/{trio[0].pk}/archive/"), {"version": 1})
        trio[0].refresh_from_db()
        assert trio[0].archived
        response = admin_client.post(tenant.url(f"settings/sources/{trio[0].pk}/unarchive/"), {"version": 2}, **HTMX)
        assert "Source “Google” restored." in page_text(response.text)
        trio[0].refresh_from_db()
        assert not trio[0].archived

    def test_archive_stale(self, tenant, admin_client, trio):
        services.source_rename(account=tenant.account, user=tenant.admin, source=trio[0], name="Other", version=1)
        response = admin_client.post(tenant.url(f"settings/sources/{trio[0].pk}/archive/"), {"version": 1}, **HTMX)
        assert "changed by someone else" in response.text
        trio[0].refresh_from_db()
        assert not trio[0].archived


@pytest.mark.django_db
class TestDeletePage:
    def test_unused_asks_for_confirmation(self, tenant, admin_client, trio):
        url = tenant.url(f"settings/sources/{trio[2].pk}/delete/")
        response = admin_client.get(url)
        assert "No company, person or deal uses this source." in response.text
        assert names(tenant.account) == ["Google", "Fair", "Partner"]
        response = admin_client.post(url, {"action": "delete"}, follow=True)
        assert names(tenant.account) == ["Google", "Fair"]
        assert "Source “Partner” deleted." in page_text(response.text)

    def test_used_shows_counts_and_three_choices(self, tenant, admin_client, used):
        html = admin_client.get(tenant.url(f"settings/sources/{used.pk}/delete/")).text
        for text in (
            "2 companies",
            "1 person",
            "3 deals",
            "Merge into another source",
            "Clear the source from 6 records",
            "I understand that 6 records lose their source",
            "Archive instead",
        ):
            assert text in html, text
        assert 'name="action" value="delete"' not in html

    def test_plain_delete_of_a_used_source_is_refused(self, tenant, admin_client, used):
        before = snapshot(tenant.account)
        response = admin_client.post(tenant.url(f"settings/sources/{used.pk}/delete/"), {"action": "delete"})
        assert response.status_code == 200
        assert "is still used (companies: 2, persons: 1, deals: 3)" in response.text
        assert snapshot(tenant.account) == before

    def test_clear_needs_the_checkbox(self, tenant, admin_client, used):
        before = snapshot(tenant.account)
        response = admin_client.post(
            tenant.url(f"settings/sources/{used.pk}/delete/"), {"action": "clear", "clear-expected_count": 6}
        )
        assert "Tick the box" in response.text
        assert snapshot(tenant.account) == before

    def test_clear_with_a_stale_count_is_refused_with_fresh_counts(self, tenant, admin_client, used):
        DealFactory(account=tenant.account, source=used)
        before = snapshot(tenant.account)
        response = admin_client.post(
            tenant.url(f"settings/sources/{used.pk}/delete/"),
            {"action": "clear", "clear-confirm": "on", "clear-expected_count": 6},
        )
        assert "changed in the meantime (now 7)" in response.text
        assert "4 deals" in response.text
        assert snapshot(tenant.account) == before
        # Issue 11: the form kept the old count (and the ticked box), so every confirm failed until a reload.
        form = response.context["clear_form"]
        assert not form.is_bound
        assert 'name="clear-expected_count" value="7"' in response.text
        assert "I understand that 7 records lose their source" in response.text
        assert 'name="clear-confirm" required id="id_clear-confirm">' in response.text  # not checked
        response = admin_client.post(
            tenant.url(f"settings/sources/{used.pk}/delete/"),
            {"action": "clear", "clear-confirm": "on", "clear-expected_count": 7},
            follow=True,
        )
        assert "7 records no longer have a source" in page_text(response.text)
        assert "Google" not in names(tenant.account)

    def test_clear(self, tenant, admin_client, used):
        response = admin_client.post(
            tenant.url(f"settings/sources/{used.pk}/delete/"),
            {"action": "clear", "clear-confirm": "on", "clear-expected_count": 6},
            follow=True,
        )
        assert "6 records no longer have a source" in response.text
        assert "Google" not in names(tenant.account)
        assert SourceChange.objects.for_account(tenant.account).filter(how=HowChanged.CLEARED).count() == 6

    def test_merge_from_the_delete_page(self, tenant, admin_client, used, trio):
        response = admin_client.post(
            tenant.url(f"settings/sources/{used.pk}/delete/"),
            {"action": "merge", "merge-into": trio[2].pk},
            follow=True,
        )
        assert "“Google” merged into “Partner”: 6 records moved." in page_text(response.text)
        assert Deal.objects.for_account(tenant.account).filter(source=trio[2]).count() == 3

    def test_merge_needs_a_target(self, tenant, admin_client, used):
        before = snapshot(tenant.account)
        response = admin_client.post(tenant.url(f"settings/sources/{used.pk}/delete/"), {"action": "merge"})
        assert "Choose the source to merge into." in response.text
        assert snapshot(tenant.account) == before

    def test_archive_instead(self, tenant, admin_client, used):
        admin_client.post(tenant.url(f"settings/sources/{used.pk}/delete/"), {"action": "archive"})
        used.refresh_from_db()
        assert used.archived
        assert Deal.objects.for_account(tenant.account).filter(source=used).count() == 3


@pytest.mark.django_db
class TestMergePage:
    def test_merge(self, tenant, admin_client, used, trio):
        url = tenant.url(f"settings/sources/{used.pk}/merge/")
        html = admin_client.get(url).text
        assert '<option value="' + str(used.pk) + '"' not in html
        assert "Fair" in html
        response = admin_client.post(url, {"merge-into": trio[1].pk}, follow=True)
        assert "6 records moved" in response.text
        assert names(tenant.account) == ["Fair", "Partner"]

    def test_archived_targets_are_marked(self, tenant, admin_client, used, trio):
        services.source_archive(account=tenant.account, user=tenant.admin, source=trio[2])
        html = admin_client.get(tenant.url(f"settings/sources/{used.pk}/merge/")).text
        assert "Partner (archived)" in html

    def test_stale_version(self, tenant, admin_client, used, trio):
        services.source_rename(account=tenant.account, user=tenant.admin, source=used, name="G2", version=1)
        before = snapshot(tenant.account)
        response = admin_client.post(
            tenant.url(f"settings/sources/{used.pk}/merge/"), {"merge-into": trio[1].pk, "merge-version": 1}
        )
        assert "changed by someone else" in response.text
        assert 'name="merge-version" value="2"' in response.text
        assert snapshot(tenant.account) == before


@pytest.mark.django_db
class TestHistory:
    def test_panel_newest_first_and_scoped(self, tenant, other_tenant, admin_client, trio):
        services.source_create(account=tenant.account, user=tenant.admin, name="Newsletter")
        services.source_rename(account=tenant.account, user=tenant.admin, source=trio[0], name="Google Ads", version=1)
        services.source_create(account=other_tenant.account, user=other_tenant.admin, name="Secret of Bravo")
        html = admin_client.get(tenant.url("settings/sources/")).text
        assert page_text(html).index("Renamed “Google” to “Google Ads”.") < page_text(html).index("Added “Newsletter”.")
        assert "Secret of Bravo" not in html
        assert "Admin of Alpha" in html

    def test_every_action_is_described(self, tenant, admin_client, used, trio):
        account, user = tenant.account, tenant.admin
        services.source_settings_update(account=account, user=user, enabled=True, default_from_contact=True)
        services.source_move(account=account, user=user, source=trio[2], direction="up")
        services.source_archive(account=account, user=user, source=trio[2])
        services.source_unarchive(account=account, user=user, source=trio[2])
        services.source_merge(account=account, user=user, source=trio[1], into=trio[2])
        services.source_delete(account=account, user=user, source=used, mode="clear", expected_count=6)
        html = page_text(admin_client.get(tenant.url("settings/sources/")).text)
        for text in (
            "Turned acquisition sources on.",
            "Turned on the default source from the person or company.",
            "Moved “Partner” from place 3 to 2 of 3.",
            "Archived “Partner”.",
            "Restored “Partner” from the archive.",
            "Merged “Fair” into “Partner” (moved: companies 0, persons 0, deals 1).",
            "Deleted “Google” and cleared it from its records (companies 2, persons 1, deals 3).",
        ):
            assert text in html, text

    def test_older_and_system_entries_are_described(self, tenant, admin_client, trio):
        """A whole new order (from before moves were logged one by one), a move back, a rename by the migration."""
        account = tenant.account
        SourceEvent.unscoped.create(account=account, action="reordered", details={"order": ["Fair", "Google"]})
        SourceEvent.unscoped.create(
            account=account,
            action="reordered",
            source_id_ref=trio[0].pk,
            source_name="Google",
            details={"moved": True, "from": 2, "to": 2, "count": 3},
        )
        SourceEvent.unscoped.create(
            account=account,
            action="renamed",
            source_name="Partner (2)",
            details={"old": "Partner", "new": "Partner (2)", "like": "PARTNER"},
        )
        html = admin_client.get(tenant.url("settings/sources/")).text
        assert "Changed the order: <bdi>Fair</bdi>, <bdi>Google</bdi>." in html
        assert "Moved “<bdi>Google</bdi>” and put it back in place 2." in html
        assert (
            "Renamed “<bdi>Partner</bdi>” to “<bdi>Partner (2)</bdi>”: it looked the same as “<bdi>PARTNER</bdi>”."
            in html
        )

    def test_show_more(self, tenant, admin_client):
        for i in range(25):
            services.source_create(account=tenant.account, user=tenant.admin, name=f"S{i:02d}")
        html = admin_client.get(tenant.url("settings/sources/")).text
        assert "Added “S24”." in page_text(html)
        assert "Added “S04”." not in page_text(html)
        assert "Show more" in html
        more = admin_client.get(tenant.url("settings/sources/history/?offset=20"), **HTMX).text
        assert "Added “S04”." in page_text(more)
        assert "Added “S00”." in page_text(more)
        assert "Show more" not in more
        full = admin_client.get(tenant.url("settings/sources/?events=40")).text
        assert "Added “S00”." in page_text(full)
        assert SourceEvent.objects.for_account(tenant.account).filter(action=CatalogAction.ADDED).count() == 25

    def test_the_history_url_opened_as_a_page_is_the_whole_page(self, tenant, admin_client):
        # Without htmx (a new tab, a bookmark) it was a bare list of <li>: no document, no language, no layout.
        for i in range(25):
            services.source_create(account=tenant.account, user=tenant.admin, name=f"S{i:02d}")
        html = admin_client.get(tenant.url("settings/sources/history/?offset=20")).text
        assert html.lstrip().lower().startswith("<!doctype html>")
        assert '<html lang="en">' in html
        assert 'id="sources-history"' in html
        assert "Added “S00”." in page_text(html)
        assert "Show more" not in html

    def test_bad_paging_parameters_do_not_crash(self, tenant, admin_client):
        assert admin_client.get(tenant.url("settings/sources/?events=abc")).status_code == 200
        assert admin_client.get(tenant.url("settings/sources/history/?offset=-5")).status_code == 200


@pytest.mark.django_db
def test_source_model_untouched_by_page_views(tenant, admin_client, trio):
    before = snapshot(tenant.account)
    for path in READ_PATHS:
        admin_client.get(tenant.url(path.format(g=trio[0].pk)))
    assert snapshot(tenant.account) == before
    assert Source.objects.for_account(tenant.account).count() == 3


@pytest.mark.django_db
def test_empty_catalogue_invites_the_first_source(tenant, admin_client):
    html = admin_client.get(tenant.url("settings/sources/")).text
    assert "No sources yet. Add the first one below." in html
    assert "data-source-order" not in html
    admin_client.post(tenant.url("settings/sources/add/"), {"name": "First"})
    assert names(tenant.account) == ["First"]
