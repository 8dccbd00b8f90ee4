"""Source aliases carry a version, as sources and records do: an edit or delete made from a stale read is refused
with a clear message (the page) or 409 (the API), and the alias stays exactly as it was."""

from __future__ import annotations

import pytest
from django.utils import translation

from headwater.core.errors import Conflict
from headwater.sources.models import SourceAlias
from headwater.sources.services import source_alias_create, source_alias_delete, source_alias_update, source_merge
from headwater.testing.api import api_for
from headwater.testing.factories import SourceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PAGE = "settings/sources/"


@pytest.fixture(autouse=True)
def _language_back():
    yield
    translation.deactivate()


@pytest.fixture
def setup(tenant):
    fb = SourceFactory(account=tenant.account, name="Facebook Ads", position=1)
    google = SourceFactory(account=tenant.account, name="Google Ads", position=2)
    alias = source_alias_create(account=tenant.account, user=tenant.admin, source=fb, text="FB")
    return fb, google, alias


def state(alias):
    alias.refresh_from_db()
    return alias.text, alias.source_id, alias.version


def test_the_service_refuses_a_stale_version_and_bumps_it_on_a_change(tenant, setup):
    fb, google, alias = setup
    assert alias.version == 1
    source_alias_update(account=tenant.account, user=None, alias=alias, text="Fejs", version=1)
    assert state(alias) == ("Fejs", fb.pk, 2)
    with pytest.raises(Conflict) as refused:
        source_alias_update(account=tenant.account, user=None, alias=alias, source=google.pk, version=1)
    assert "changed by someone else" in refused.value.message
    assert state(alias) == ("Fejs", fb.pk, 2)
    with pytest.raises(Conflict):
        source_alias_update(account=tenant.account, user=None, alias=alias, version=1)  # nothing to change: checked
    with pytest.raises(Conflict):
        source_alias_delete(account=tenant.account, user=None, alias=alias, version=1)
    assert SourceAlias.objects.for_account(tenant.account).filter(pk=alias.pk).exists()
    source_alias_delete(account=tenant.account, user=None, alias=alias, version=2)
    assert not SourceAlias.objects.for_account(tenant.account).filter(pk=alias.pk).exists()


def test_a_merge_moving_an_alias_changes_its_version(tenant, setup):
    fb, google, alias = setup
    source_merge(account=tenant.account, user=tenant.admin, source=fb, into=google)
    assert state(alias)[1:] == (google.pk, 2)


def test_the_page_shows_a_stale_edit_as_a_conflict_and_changes_nothing(tenant, admin_client, setup):
    _fb, google, alias = setup
    url = tenant.url(PAGE + f"aliases/{alias.pk}/edit/")
    opened = admin_client.get(url, **HTMX)
    assert 'name="alias-edit-version" value="1"' in opened.text
    # Someone else changes the alias while the form is open.
    source_alias_update(account=tenant.account, user=None, alias=alias, text="Fejs")
    data = {"alias-edit-text": "F-B", "alias-edit-source": google.pk, "alias-edit-version": "1"}
    response = admin_client.post(url, data, **HTMX)
    assert "was changed by someone else in the meantime" in response.text
    assert 'value="F-B"' in response.text  # what the admin typed is kept ...
    assert 'name="alias-edit-version" value="2"' in response.text  # ... and saving it again is their choice
    assert state(alias) == ("Fejs", alias.source_id, 2)
    admin_client.post(url, {**data, "alias-edit-version": "2"}, **HTMX)
    assert state(alias) == ("F-B", google.pk, 3)


def test_the_page_refuses_a_stale_delete(tenant, admin_client, setup):
    _fb, _google, alias = setup
    page = admin_client.get(tenant.url(PAGE))
    assert 'name="version" value="1"' in page.text
    source_alias_update(account=tenant.account, user=None, alias=alias, text="Fejs")
    url = tenant.url(PAGE + f"aliases/{alias.pk}/delete/")
    response = admin_client.post(url, {"version": "1"}, **HTMX)
    assert "was changed by someone else in the meantime" in response.text
    assert SourceAlias.objects.for_account(tenant.account).filter(pk=alias.pk).exists()


def test_the_api_answers_409_to_a_stale_version_or_if_match(tenant, setup):
    _fb, google, alias = setup
    api = api_for(tenant, "admin")
    path = f"source-aliases/{alias.pk}"
    got = api.get(path)
    assert (got.json()["version"], got["ETag"]) == (1, '"1"')
    changed = api.patch(path, {"text": "Fejs", "version": 1})
    assert changed.status_code == 200
    assert (changed.json()["version"], changed["ETag"]) == (2, '"2"')
    stale = api.patch(path, {"source_id": google.pk, "version": 1})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["error"]["message"]
    assert api.patch(path, {"text": "X"}, headers={"If-Match": '"1"'}).status_code == 409
    assert api.delete(path, headers={"If-Match": '"1"'}).status_code == 409
    assert state(alias) == ("Fejs", alias.source_id, 2)
    assert api.patch(path, {"text": "X", "version": 1}, headers={"If-Match": '"2"'}).status_code == 400
    assert api.delete(path, headers={"If-Match": '"2"'}).status_code == 204
