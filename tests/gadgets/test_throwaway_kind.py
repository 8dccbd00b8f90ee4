"""A record kind added by one app (tests/gadgets, installed for the tests only) is picked up by everything that
reaches the kinds: the registry, the sources' usage, merge and delete, members' removal, the search keys and the
record pages' generated views and URLs. Nothing outside tests/gadgets names it."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import clear_url_caches, reverse

import config.urls
from headwater.companies.services import company_delete, company_update
from headwater.records.registry import kind_of, record_kinds, unregister
from headwater.records.services import search_key_of
from headwater.sources.models import SourceChange
from headwater.sources.selectors import source_list_with_usage, source_usage
from headwater.sources.services import source_delete, source_merge
from headwater.testing.factories import CompanyFactory, SourceFactory
from headwater.users.models import Membership
from headwater.users.services import membership_remove
from tests.gadgets.models import Gadget
from tests.gadgets.services import gadget_create

# Schema changes inside a test's transaction are refused on SQLite: these tests commit, and the table is dropped after.
pytestmark = pytest.mark.django_db(transaction=True)


def _refresh():
    """What Django computed from the installed apps: the models' relations (set_installed_apps leaves them cached)
    and the URLs (config/urls.py mounts the registered kinds' pages)."""
    apps.clear_cache()
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture(autouse=True)
def gadgets_installed(transactional_db):
    """The gadgets app installed as if it were in INSTALLED_APPS (its AppConfig.ready registers the kind), its table
    created and the URLs rebuilt; all undone afterwards, so no other test sees a fourth kind."""
    try:
        with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.gadgets"]):
            with connection.schema_editor() as editor:
                editor.create_model(Gadget)
            try:
                _refresh()
                yield
            finally:
                with connection.schema_editor() as editor:
                    editor.delete_model(Gadget)
    finally:
        unregister("gadget")
        _refresh()


@pytest.fixture
def gadget(tenant):
    return gadget_create(account=tenant.account, user=tenant.member, name="Sprocket", owner=tenant.member)


def test_the_kind_is_registered_after_the_apps_kinds():
    assert [kind.noun for kind in record_kinds()] == ["company", "person", "deal", "gadget"]
    assert kind_of(Gadget).app == "gadgets"


def test_source_usage_counts_it_and_merge_moves_it(tenant, gadget):
    old, new = SourceFactory(account=tenant.account), SourceFactory(account=tenant.account)
    Gadget.unscoped.filter(pk=gadget.pk).update(source=old)

    assert source_usage(account=tenant.account, source=old).counts["gadgets"] == 1
    usage = {row.source.pk: row for row in source_list_with_usage(account=tenant.account)}
    assert usage[old.pk].counts["gadgets"] == 1
    assert usage[old.pk].total == 1

    moved = source_merge(account=tenant.account, user=tenant.admin, source=old, into=new)

    assert moved == 1
    assert Gadget.unscoped.get(pk=gadget.pk).source_id == new.pk
    change = SourceChange.unscoped.get(record_type="gadget", record_id=gadget.pk)
    assert (change.old_source_id, change.new_source_id) == (old.pk, new.pk)


def test_source_delete_clears_it(tenant, gadget):
    source = SourceFactory(account=tenant.account)
    Gadget.unscoped.filter(pk=gadget.pk).update(source=source)

    source_delete(account=tenant.account, user=tenant.admin, source=source, mode="clear", expected_count=1)

    assert Gadget.unscoped.get(pk=gadget.pk).source_id is None


def test_members_removal_reassigns_it(tenant, gadget):
    membership = Membership.unscoped.get(account=tenant.account, user=tenant.member)

    removed = membership_remove(
        account=tenant.account, user=tenant.admin, membership=membership, reassign_to=tenant.admin
    )

    assert removed.records["gadgets"] == 1
    assert Gadget.unscoped.get(pk=gadget.pk).owner_id == tenant.admin.pk


def test_search_keys_show_its_name_and_follow_its_company(tenant):
    company = CompanyFactory(account=tenant.account, name="Northwind")
    gadget = gadget_create(account=tenant.account, user=tenant.member, name="Sprocket", company=company)
    assert gadget.search_key == search_key_of(gadget) == "sprocket northwind"

    company_update(account=tenant.account, user=tenant.member, company=company, version=company.version, name="Contoso")
    assert Gadget.unscoped.get(pk=gadget.pk).search_key == "sprocket contoso"

    company_delete(account=tenant.account, user=tenant.member, company=_fresh(company))
    unlinked = Gadget.unscoped.get(pk=gadget.pk)
    assert (unlinked.company_id, unlinked.search_key, unlinked.version) == (None, "sprocket", gadget.version + 1)


def _fresh(company):
    company.refresh_from_db()
    return company


def test_its_pages_get_the_generated_urls_and_views(tenant, other_tenant, gadget):
    slug = tenant.account.slug
    urls = {
        "list": reverse("gadgets:list", kwargs={"account_slug": slug}),
        "create": reverse("gadgets:create", kwargs={"account_slug": slug}),
        "detail": reverse("gadgets:detail", kwargs={"account_slug": slug, "pk": gadget.pk}),
        "edit": reverse("gadgets:edit", kwargs={"account_slug": slug, "pk": gadget.pk}),
        "delete": reverse("gadgets:delete", kwargs={"account_slug": slug, "pk": gadget.pk}),
    }
    assert urls["detail"] == f"/a/{slug}/gadgets/{gadget.pk}/"
    viewer, member = tenant.client_for("viewer"), tenant.client_for("member")
    for name in ("list", "detail"):
        assert viewer.get(urls[name]).status_code == 200, name
    assert "Sprocket" in viewer.get(urls["detail"]).content.decode()
    for name in ("create", "edit", "delete"):
        assert viewer.get(urls[name]).status_code == 403, name
        assert member.get(urls[name]).status_code == 200, name
    assert (
        other_tenant.client_for("admin").get(urls["detail"].replace(slug, other_tenant.account.slug)).status_code == 404
    )

    response = member.post(urls["edit"], {"name": "Flywheel", "owner": "", "version": gadget.version})
    assert response.status_code == 302
    assert Gadget.unscoped.get(pk=gadget.pk).name == "Flywheel"
    assert viewer.post(urls["delete"]).status_code == 403
    assert member.post(urls["delete"]).status_code == 302
    assert not Gadget.unscoped.filter(pk=gadget.pk).exists()
