"""Capture pages: admins edit the rules (with a preview), test a link, map unmatched values; members read a record's
touches; another account's ids are 404."""

from __future__ import annotations

import pytest

from headwater.capture import services
from headwater.capture.models import IgnoredValue, MappingRule, RecordTouches
from headwater.records.tests.api_contract import enable_sources
from headwater.sources.models import HowChanged, Source, SourceChange
from headwater.testing.factories import SourceFactory

pytestmark = pytest.mark.django_db

NEWSLETTER = "https://shop.example.pl/?utm_source=newsletter&utm_medium=email"


@pytest.fixture
def ready(tenant):
    enable_sources(tenant.account)
    services.capture_rules_seed_defaults(account=tenant.account, user=tenant.admin)
    return tenant


def _lead(tenant, email="ola@example.pl", **touch):
    return services.lead_capture(
        account=tenant.account,
        user=None,
        channel="api",
        person={"last_name": "Nowak", "email": email},
        touch=touch,
    )


def test_the_rules_page_lists_the_rules_for_admins_only(ready):
    response = ready.client_for("admin").get(ready.url("settings/capture/"))
    assert response.status_code == 200
    assert "Organic search" in response.content.decode()
    assert ready.client_for("member").get(ready.url("settings/capture/")).status_code == 403


def test_adding_a_rule_previews_then_saves(ready):
    result = _lead(ready, landing_url="https://shop.example.pl/?utm_source=partnerx")
    partner = SourceFactory(account=ready.account, name="Partner X")
    client = ready.client_for("admin")
    data = {"utm_source": "partnerx", "click_id": "", "target": partner.pk}
    preview = client.post(ready.url("settings/capture/rules/add/"), data)
    assert preview.status_code == 200
    assert "1 past touch would change source" in preview.content.decode()
    assert not MappingRule.objects.for_account(ready.account).filter(target=partner).exists()
    saved = client.post(ready.url("settings/capture/rules/add/"), {**data, "confirmed": "1", "apply_past": "on"})
    assert saved.status_code == 302
    result.person.refresh_from_db()
    assert result.person.source == partner
    change = SourceChange.objects.for_account(ready.account).get(record_id=result.person.pk)
    assert (change.how, change.user) == (HowChanged.CAPTURE, ready.admin)


def test_a_rule_without_conditions_is_refused_on_the_form(ready):
    partner = SourceFactory(account=ready.account, name="Partner X")
    response = ready.client_for("admin").post(
        ready.url("settings/capture/rules/add/"), {"click_id": "", "target": partner.pk, "confirmed": "1"}
    )
    assert response.status_code == 200
    assert "at least one condition" in response.content.decode()
    assert not MappingRule.objects.for_account(ready.account).filter(target=partner).exists()


def test_editing_moving_and_deleting_a_rule(ready):
    client = ready.client_for("admin")
    first, second, *_rest = MappingRule.objects.for_account(ready.account).order_by("position")
    response = client.post(
        ready.url(f"settings/capture/rules/{second.pk}/edit/"),
        {"click_id": "msclkid", "utm_medium": "cpc", "target": second.target_id, "confirmed": "1"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.utm_medium == "cpc"
    client.post(ready.url(f"settings/capture/rules/{second.pk}/move/"), {"direction": "up"})
    assert MappingRule.objects.for_account(ready.account).order_by("position").first() == second
    assert client.get(ready.url(f"settings/capture/rules/{first.pk}/delete/")).status_code == 200
    client.post(ready.url(f"settings/capture/rules/{first.pk}/delete/"))
    assert not MappingRule.objects.for_account(ready.account).filter(pk=first.pk).exists()


def test_another_accounts_rule_is_404(ready, other_tenant):
    services.capture_rules_seed_defaults(account=other_tenant.account, user=other_tenant.admin)
    theirs = MappingRule.objects.for_account(other_tenant.account).first()
    client = ready.client_for("admin")
    assert client.get(ready.url(f"settings/capture/rules/{theirs.pk}/edit/")).status_code == 404
    assert client.post(ready.url(f"settings/capture/rules/{theirs.pk}/move/"), {"direction": "up"}).status_code == 404
    assert client.post(ready.url(f"settings/capture/rules/{theirs.pk}/delete/")).status_code == 404
    assert MappingRule.objects.for_account(other_tenant.account).filter(pk=theirs.pk).exists()


def test_test_a_link_says_which_rule_fires_and_why(ready):
    response = ready.client_for("admin").get(
        ready.url("settings/capture/test/"),
        {"landing_url": "https://shop.example.pl/", "referrer": "https://www.google.de/search?q=crm"},
    )
    page = response.content.decode()
    assert "Source: <bdi>Organic search</bdi>" in page or "Source: Organic search" in page
    assert "google.de" in page


def test_mapping_an_unmatched_value_on_the_page(ready):
    result = _lead(ready, utm_source="Podcast")
    client = ready.client_for("admin")
    page = client.get(ready.url("settings/capture/unmatched/")).content.decode()
    assert "podcast" in page
    response = client.post(
        ready.url("settings/capture/unmatched/"),
        {"kind": "utm_source", "value": "podcast", "action": "new", "new_name": "Podcasts"},
    )
    assert response.status_code == 302
    result.person.refresh_from_db()
    assert result.person.source == Source.objects.for_account(ready.account).get(name="Podcasts")
    assert "podcast" not in client.get(ready.url("settings/capture/unmatched/")).content.decode().lower().split(
        "unmatched-title"
    )[1].split("</section>")[0].replace("podcasts", "")


def test_mapping_to_another_accounts_source_is_refused(ready, other_tenant):
    _lead(ready, utm_source="Podcast")
    theirs = SourceFactory(account=other_tenant.account, name="Theirs")
    response = ready.client_for("admin").post(
        ready.url("settings/capture/unmatched/"),
        {"kind": "utm_source", "value": "podcast", "action": "source", "source": theirs.pk},
    )
    assert response.status_code == 200
    assert not IgnoredValue.unscoped.exists()
    assert not Source.objects.for_account(ready.account).filter(name="Theirs").exists()


def test_a_records_touches_and_the_admins_correction(ready, other_tenant):
    result = _lead(ready, landing_url=NEWSLETTER)
    detail = ready.client_for("viewer").get(ready.url(f"persons/{result.person.pk}/")).content.decode()
    url = ready.url(f"touches/person/{result.person.pk}/")
    assert f'href="{url}"' in detail
    page = ready.client_for("viewer").get(url).content.decode()
    assert "E-mail campaign" in page
    assert "Correct the first touch" not in page
    assert ready.client_for("member").post(url, {"source": ""}).status_code == 403
    partner = SourceFactory(account=ready.account, name="Partner")
    assert ready.client_for("admin").post(url, {"source": partner.pk}).status_code == 302
    result.person.refresh_from_db()
    assert result.person.source == partner
    assert RecordTouches.objects.for_account(ready.account).get(record_id=result.person.pk).corrected_by == ready.admin
    other = other_tenant.client_for("admin")
    assert other.get(f"/a/{other_tenant.account.slug}/touches/person/{result.person.pk}/").status_code == 404
    assert ready.client_for("admin").get(ready.url("touches/nothing/1/")).status_code == 404
