"""Channels: the shipped list, the services, Account settings > Channels (posted forms), /api/v1/channels, and the
source catalogue's channel picker."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.channels.models import DEFAULT_CHANNELS, Channel
from headwater.channels.services import (
    channel_create,
    channel_delete,
    channel_rename,
    channel_reorder,
    channels_seed_default,
)
from headwater.core.errors import NotFound, ValidationFailed
from headwater.sources.models import Source
from headwater.sources.services import source_set_channel
from headwater.testing.api import api_for
from headwater.testing.factories import SourceFactory

pytestmark = pytest.mark.django_db


def names(account) -> list[str]:
    return list(Channel.objects.for_account(account).order_by("position", "id").values_list("name", flat=True))


@pytest.mark.parametrize(
    ("language", "first", "last"), [("en", "Paid search", "Other"), ("pl", "Płatne wyszukiwanie", "Inne")]
)
def test_the_shipped_list_is_named_in_the_account_language(tenant, language, first, last):
    tenant.account.language = language
    Channel.objects.for_account(tenant.account).delete()
    channels_seed_default(account=tenant.account)
    got = names(tenant.account)
    assert len(got) == len(DEFAULT_CHANNELS) == 9
    assert (got[0], got[-1]) == (first, last)


def test_a_new_account_gets_channels_and_its_starter_sources_are_in_them(tenant):
    from headwater.users.services import account_create  # noqa: PLC0415 — only this test creates an account

    account = account_create(name="Fresh", slug="fresh", currency="PLN", language="en", owner=tenant.admin)
    by_key = dict(Channel.objects.for_account(account).values_list("key", "name"))
    assert by_key["referral"] == "Referral"
    sources = dict(Source.objects.for_account(account).values_list("name", "channel__key"))
    assert sources["Trade fair"] == "events"
    assert sources["E-mail campaign"] == "email"
    assert sources["Website"] is None  # ambiguous: left to the admin


def test_create_rename_reorder_delete(tenant):
    account = tenant.account
    Channel.objects.for_account(account).delete()
    a = channel_create(account=account, user=tenant.admin, name="  Podcasts ")
    b = channel_create(account=account, user=tenant.admin, name="Radio")
    assert names(account) == ["Podcasts", "Radio"]
    with pytest.raises(ValidationFailed) as exc:
        channel_create(account=account, user=tenant.admin, name="PODCASTS")
    assert "already exists" in exc.value.fields["name"][0]
    with pytest.raises(ValidationFailed):
        channel_create(account=account, user=tenant.admin, name="   ")
    channel_rename(account=account, user=tenant.admin, channel=a, name="Podcast ads")
    channel_reorder(account=account, user=tenant.admin, ordered_ids=[b.pk, a.pk])
    assert names(account) == ["Radio", "Podcast ads"]
    with pytest.raises(ValidationFailed):
        channel_reorder(account=account, user=tenant.admin, ordered_ids=[b.pk])
    assert names(account) == ["Radio", "Podcast ads"]


def test_delete_moves_the_sources_to_the_target(tenant, other_tenant):
    account = tenant.account
    old = channel_create(account=account, user=tenant.admin, name="Old")
    new = channel_create(account=account, user=tenant.admin, name="New")
    sources = [SourceFactory(account=account, channel=old) for _ in range(3)]
    theirs = channel_create(account=other_tenant.account, user=other_tenant.admin, name="Theirs")
    with pytest.raises(NotFound):
        channel_delete(account=account, user=tenant.admin, channel=old, target=theirs)
    with pytest.raises(ValidationFailed):
        channel_delete(account=account, user=tenant.admin, channel=old, target=old)
    assert Channel.objects.for_account(account).filter(pk=old.pk).exists()
    assert channel_delete(account=account, user=tenant.admin, channel=old, target=new) == 3
    assert {s.channel_id for s in Source.objects.for_account(account).filter(pk__in=[s.pk for s in sources])} == {
        new.pk
    }


def test_a_source_never_gets_another_account_channel(tenant, other_tenant):
    source = SourceFactory(account=tenant.account)
    theirs = channel_create(account=other_tenant.account, user=other_tenant.admin, name="Theirs")
    with pytest.raises(ValidationFailed):
        source_set_channel(account=tenant.account, user=tenant.admin, source=source, channel_id=theirs.pk)
    source.refresh_from_db()
    assert source.channel_id is None


# --- The settings page (posted forms) -------------------------------------------------------------------------


def test_admin_adds_renames_moves_and_deletes_through_the_page(tenant):
    account = tenant.account
    Channel.objects.for_account(account).delete()
    client = tenant.client_for("admin")
    url = tenant.url("settings/channels/")
    assert client.post(url + "add/", {"name": "Webinars"}).status_code == 302
    assert client.post(url + "add/", {"name": "Podcasts"}).status_code == 302
    webinars, podcasts = Channel.objects.for_account(account).order_by("position")
    response = client.post(url + "add/", {"name": "webinars"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    client.post(url + f"{webinars.pk}/rename/", {f"rename-{webinars.pk}-name": "Online events"})
    client.post(url + f"{podcasts.pk}/move/", {"direction": "up"})
    assert names(account) == ["Podcasts", "Online events"]
    source = SourceFactory(account=account, channel=webinars)
    page = client.get(url + f"{webinars.pk}/delete/")
    assert "1 source is in this channel" in page.content.decode()
    assert client.post(url + f"{webinars.pk}/delete/", {"target": podcasts.pk}).status_code == 302
    source.refresh_from_db()
    assert source.channel_id == podcasts.pk
    assert names(account) == ["Podcasts"]


def test_members_cannot_change_channels_and_other_accounts_ids_are_404(tenant, other_tenant):
    theirs = channel_create(account=other_tenant.account, user=other_tenant.admin, name="Theirs")
    member = tenant.client_for("member")
    assert member.post(tenant.url("settings/channels/add/"), {"name": "Sneaky"}).status_code == 403
    admin = tenant.client_for("admin")
    assert admin.get(tenant.url(f"settings/channels/{theirs.pk}/delete/")).status_code == 404
    assert admin.post(tenant.url(f"settings/channels/{theirs.pk}/move/"), {"direction": "up"}).status_code == 404
    assert Channel.objects.for_account(other_tenant.account).filter(pk=theirs.pk).exists()


def test_the_catalogue_picker_sets_the_channel(tenant, other_tenant):
    source = SourceFactory(account=tenant.account)
    mine = channel_create(account=tenant.account, user=tenant.admin, name="Mine")
    theirs = channel_create(account=other_tenant.account, user=other_tenant.admin, name="Theirs")
    client = tenant.client_for("admin")
    url = tenant.url(f"settings/sources/{source.pk}/channel/")
    page = client.get(tenant.url("settings/sources/")).content.decode()
    assert f'id="channel-of-{source.pk}"' in page
    assert client.post(url, {"channel": mine.pk}).status_code == 302
    source.refresh_from_db()
    assert source.channel_id == mine.pk
    client.post(url, {"channel": theirs.pk})
    source.refresh_from_db()
    assert source.channel_id == mine.pk  # another account's channel is refused, nothing changes
    client.post(url, {"channel": ""})
    source.refresh_from_db()
    assert source.channel_id is None


# --- API -------------------------------------------------------------------------------------------------


def test_api_crud(tenant, other_tenant):
    account = tenant.account
    Channel.objects.for_account(account).delete()
    admin, viewer = api_for(tenant, "admin"), api_for(tenant, "viewer")
    created = admin.post("/channels", {"name": "Webinars"})
    assert created.status_code == 201, created.content
    webinars = created.json()
    assert webinars["name"] == "Webinars"
    assert webinars["sources"] == 0
    podcasts = admin.post("/channels", {"name": "Podcasts"}).json()
    assert viewer.post("/channels", {"name": "Nope"}).status_code == 403
    duplicate = admin.post("/channels", {"name": "WEBINARS"})
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.content.decode()
    moved = admin.patch(f"/channels/{podcasts['id']}", {"position": 1, "name": "Podcast ads"})
    assert moved.status_code == 200
    assert moved.json()["position"] == 1
    assert [c["name"] for c in viewer.get("/channels").json()["items"]] == ["Podcast ads", "Webinars"]
    source = SourceFactory(account=account)
    patched = admin.patch(f"/sources/{source.pk}", {"channel_id": webinars["id"]})
    assert patched.status_code == 200
    assert patched.json()["channel_id"] == webinars["id"]
    assert viewer.get(f"/channels/{webinars['id']}").json()["sources"] == 1
    theirs = channel_create(account=other_tenant.account, user=other_tenant.admin, name="Theirs")
    assert viewer.get(f"/channels/{theirs.pk}").status_code == 404
    assert admin.delete(f"/channels/{webinars['id']}?target_id={theirs.pk}").status_code == 400
    assert admin.delete(f"/channels/{webinars['id']}?target_id={podcasts['id']}").status_code == 204
    source.refresh_from_db()
    assert source.channel_id == podcasts["id"]


def test_api_list_has_constant_queries(tenant):
    client = api_for(tenant, "viewer")
    client.get("/channels")
    with CaptureQueriesContext(connection) as few:
        client.get("/channels")
    for n in range(10):
        channel_create(account=tenant.account, user=tenant.admin, name=f"Extra {n}")
    with CaptureQueriesContext(connection) as many:
        client.get("/channels")
    assert len(many) == len(few)
