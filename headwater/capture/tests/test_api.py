"""POST /api/v1/leads: token-authenticated, the account's own, one error shape, returning persons."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from headwater.capture import services
from headwater.capture.models import RecordTouches, Touch
from headwater.persons.models import Person
from headwater.records.models import RecordOrigin
from headwater.records.tests.api_contract import enable_sources, error_of
from headwater.sources.models import Source
from headwater.testing.api import api_for
from headwater.testing.factories import SourceFactory

pytestmark = pytest.mark.django_db

LANDING = "https://shop.example.pl/offer?utm_source=newsletter&utm_medium=email&utm_campaign=december"


@pytest.fixture(autouse=True)
def _clear_rate_counters():
    cache.clear()


@pytest.fixture
def ready(tenant):
    enable_sources(tenant.account)
    services.capture_rules_seed_defaults(account=tenant.account, user=tenant.admin)
    return tenant


def _body(**overrides):
    return {
        "person": {"first_name": "Ola", "last_name": "Nowak", "email": "ola@example.pl"},
        "touch": {"landing_url": LANDING, "consent": True, "channel": "Landing builder"},
        **overrides,
    }


def test_a_lead_creates_a_person_with_its_tracked_source_then_returns(ready):
    api = api_for(ready, "member")
    response = api.post("leads", _body(self_reported="newsletter"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person_created"] is True
    email_campaign = Source.objects.for_account(ready.account).get(name="E-mail campaign")
    assert body["source_id"] == email_campaign.pk
    assert body["resolution"] == "rule"
    person = Person.objects.for_account(ready.account).get(pk=body["person_id"])
    assert (person.source_id, person.origin) == (email_campaign.pk, RecordOrigin.API)
    touch = Touch.objects.for_account(ready.account).get(pk=body["touch_id"])
    assert (touch.channel, touch.utm_campaign, touch.self_reported) == ("Landing builder", "december", "newsletter")

    again = api.post(
        "leads",
        _body(
            person={"last_name": "Nowak", "email": "Ola@Example.pl"},
            touch={"landing_url": "https://shop.example.pl/", "referrer": "https://www.google.pl/"},
        ),
    )
    assert again.status_code == 200, again.content
    assert again.json()["person_id"] == person.pk
    assert again.json()["person_created"] is False
    assert Person.objects.for_account(ready.account).count() == 1
    pointers = RecordTouches.objects.for_account(ready.account).get(record_type="person", record_id=person.pk)
    assert (pointers.first_touch_id, pointers.last_touch_id) == (body["touch_id"], again.json()["touch_id"])


def test_a_chosen_source_by_name_and_a_deal(ready):
    fair = SourceFactory(account=ready.account, name="Trade fair")
    response = api_for(ready).post("leads", _body(source_name="trade FAIR", deal={"value": "250.00"}))
    assert response.status_code == 201, response.content
    body = response.json()
    person = Person.objects.for_account(ready.account).get(pk=body["person_id"])
    assert person.source_id == fair.pk
    assert body["deal_id"] is not None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (_body(touch={"landing_url": "ftp://x"}), 400, "landing_url"),
        (_body(touch={"utm_source": "x" * 201}), 422, "touch.utm_source"),
        (_body(person={"email": "a@b.pl"}), 422, "person.last_name"),
        (_body(person={"last_name": "X", "email": "not an e-mail"}), 400, "email"),
        (_body(account_id=2), 422, "account_id"),
        (_body(source_name="No such source"), 400, "source_name"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(ready, body, status, field):
    error = error_of(api_for(ready).post("leads", body), status)
    assert any(field in name or name in field for name in error["fields"]), error
    assert not Person.objects.for_account(ready.account).exists()
    assert not Touch.objects.for_account(ready.account).exists()


def test_another_accounts_source_id_is_refused(ready, other_tenant):
    theirs = SourceFactory(account=other_tenant.account, name="Theirs")
    error = error_of(api_for(ready).post("leads", _body(source_id=theirs.pk)), 400)
    assert "source_id" in error["fields"] or "source" in error["fields"]


def test_a_viewer_cannot_send_leads_and_no_token_is_401(ready):
    error_of(api_for(ready, "viewer").post("leads", _body()), 403)
    assert api_for(ready).client.post("/api/v1/leads", data="{}", content_type="application/json").status_code == 401


def test_the_same_email_in_another_account_is_another_person(ready, other_tenant):
    api_for(ready).post("leads", _body())
    response = api_for(other_tenant).post("leads", _body())
    assert response.status_code == 201
    assert Person.objects.for_account(other_tenant.account).count() == 1
