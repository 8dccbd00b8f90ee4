"""The hosted page (/f/<key>) and the intake endpoint embedded forms post to, as a visitor and a bot use them."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from headwater.capture.models import RecordTouches, Touch
from headwater.capture.services import capture_rules_seed_defaults
from headwater.deals.models import Deal
from headwater.leadforms.models import FormSubmission, IntakeCounter
from headwater.leadforms.tests.helpers import ORIGIN, aged_token, answers, make_form
from headwater.persons.models import Person
from headwater.records.models import RecordOrigin
from headwater.records.tests.api_contract import enable_sources
from headwater.testing.factories import SourceFactory

pytestmark = pytest.mark.django_db

NEWSLETTER = "https://www.shop.example.pl/offer?utm_source=newsletter&utm_medium=email&utm_campaign=december"


@pytest.fixture
def lead_form(tenant):
    enable_sources(tenant.account)
    capture_rules_seed_defaults(account=tenant.account, user=tenant.admin)
    return make_form(tenant.account)


def _post_json(form, body, origin=ORIGIN, client=None, **extra):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return (client or Client()).post(
        f"/f/{form.public_key}/submit", json.dumps(body), content_type="application/json", **headers, **extra
    )


# --- The hosted page -----------------------------------------------------------------------------------------


def test_the_hosted_page_shows_the_form_without_cookies_in_both_languages(lead_form):
    english = Client().get(f"/f/{lead_form.public_key}?utm_source=newsletter", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    page = english.content.decode()
    assert 'name="last_name"' in page
    assert "Last name" in page
    assert 'name="utm_source" value="newsletter"' in page
    assert not english.cookies  # no session, no CSRF cookie: a visitor is nobody we know
    polish = Client().get(f"/f/{lead_form.public_key}", HTTP_ACCEPT_LANGUAGE="pl")
    assert "Nazwisko" in polish.content.decode()
    switched = Client().get(f"/f/{lead_form.public_key}?lang=pl", HTTP_ACCEPT_LANGUAGE="en")
    assert "Nazwisko" in switched.content.decode()
    assert 'lang="pl"' in switched.content.decode()


def test_a_submission_on_the_hosted_page_makes_a_person_with_its_touch(lead_form, tenant):
    client = Client()
    shown = client.get(
        f"/f/{lead_form.public_key}?utm_source=newsletter&utm_medium=email", HTTP_REFERER="https://mail.example/"
    )
    assert shown.status_code == 200
    data = answers(
        lead_form,
        first_name="Ola",
        landing_url=NEWSLETTER,
        referrer="https://mail.example/",
        utm_source="newsletter",
        utm_medium="email",
    )
    response = client.post(f"/f/{lead_form.public_key}?lang=en", data)
    assert response.status_code == 303
    assert response["Location"].startswith(f"/f/{lead_form.public_key}/thanks")
    person = Person.objects.for_account(tenant.account).get()
    assert (person.email, person.origin) == ("ola@example.pl", RecordOrigin.WEB_FORM)
    touch = Touch.objects.for_account(tenant.account).get()
    assert (touch.channel, touch.utm_source, touch.referrer) == ("Contact us", "newsletter", "https://mail.example/")
    assert person.source is not None
    assert person.source.name == "E-mail campaign"
    assert FormSubmission.objects.for_account(tenant.account).get().touch == touch
    assert "Thanks, we will call you." in client.get(response["Location"]).content.decode()


def test_a_returning_visitor_gets_a_new_touch_and_the_same_answer(lead_form, tenant):
    first = Client().post(f"/f/{lead_form.public_key}", answers(lead_form, landing_url=NEWSLETTER))
    again = Client().post(
        f"/f/{lead_form.public_key}",
        answers(
            lead_form,
            email="OLA@example.pl",
            referrer="https://www.google.pl/",
            landing_url="https://www.shop.example.pl/",
        ),
    )
    assert first.status_code == again.status_code == 303
    assert first["Location"] == again["Location"]  # nothing says the address was known
    person = Person.objects.for_account(tenant.account).get()
    touches = RecordTouches.objects.for_account(tenant.account).get(record_type="person", record_id=person.pk)
    assert touches.first_touch.utm_source == "newsletter"
    assert touches.last_touch.referrer_domain == "google.pl"
    assert touches.last_touch.resolved_source.name == "Organic search"


def test_the_hosted_page_names_each_wrong_field_and_keeps_what_was_typed(lead_form, tenant):
    response = Client().post(
        f"/f/{lead_form.public_key}", answers(lead_form, last_name="", email="not-an-address", first_name="Ola")
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "This field is required." in page
    assert "Enter a valid e-mail address." in page
    assert 'value="Ola"' in page
    assert 'aria-invalid="true"' in page
    assert not Person.objects.for_account(tenant.account).exists()


def test_too_fast_a_submission_is_refused_and_can_be_sent_again(lead_form, tenant):
    fresh = aged_token(lead_form, seconds=0)
    response = Client().post(f"/f/{lead_form.public_key}", {**answers(lead_form), "hw_token": fresh})
    assert response.status_code == 422
    assert "faster than anyone types" in response.content.decode()
    assert fresh in response.content.decode()  # the same token: sent again a moment later it passes
    assert not Person.objects.for_account(tenant.account).exists()


@pytest.mark.parametrize("token", ["", "forged", "x" * 300])
def test_a_missing_or_forged_token_is_refused(lead_form, tenant, token):
    response = Client().post(f"/f/{lead_form.public_key}", {**answers(lead_form), "hw_token": token})
    assert response.status_code == 422
    assert "The form has expired" in response.content.decode()
    assert not Person.objects.for_account(tenant.account).exists()


def test_another_forms_token_is_refused(lead_form, tenant):
    other = make_form(tenant.account, name="Other")
    response = Client().post(f"/f/{lead_form.public_key}", {**answers(lead_form), "hw_token": aged_token(other)})
    assert response.status_code == 422
    assert not Person.objects.for_account(tenant.account).exists()


def test_the_honeypot_refuses_a_bot(lead_form, tenant):
    response = Client().post(f"/f/{lead_form.public_key}", answers(lead_form, hw_url="http://spam.example"))
    assert response.status_code == 422
    assert "looks automated" in response.content.decode()
    assert not Person.objects.for_account(tenant.account).exists()


def test_consent_is_required_when_the_form_asks_for_it(lead_form, tenant):
    lead_form.consent_text = "I agree to be contacted."
    lead_form.save()
    refused = Client().post(f"/f/{lead_form.public_key}", answers(lead_form))
    assert refused.status_code == 422
    assert "Tick the box" in refused.content.decode()
    given = Client().post(f"/f/{lead_form.public_key}", answers(lead_form, consent="on"))
    assert given.status_code == 303
    assert Touch.objects.for_account(tenant.account).get().consent is True


def test_the_self_reported_answer_is_kept_beside_the_tracked_source(lead_form, tenant):
    friend = SourceFactory(account=tenant.account, name="Referral")
    lead_form.how_heard = True
    lead_form.answers = [{"label": "A friend", "source_id": friend.pk}, {"label": "Other", "source_id": None}]
    lead_form.save()
    response = Client().post(f"/f/{lead_form.public_key}", answers(lead_form, how_heard="0", landing_url=NEWSLETTER))
    assert response.status_code == 303
    touch = Touch.objects.for_account(tenant.account).get()
    assert (touch.self_reported, touch.reported_source) == ("A friend", friend)
    assert touch.resolved_source.name == "E-mail campaign"
    wrong = Client().post(f"/f/{lead_form.public_key}", answers(lead_form, how_heard="7"))
    assert wrong.status_code == 422
    assert "Choose one of the answers." in wrong.content.decode()


def test_a_form_that_opens_a_deal_gives_it_its_owner_and_value(lead_form, tenant):
    lead_form.opens_deal = True
    lead_form.deal_owner = tenant.member
    lead_form.deal_value = "1500.00"
    lead_form.fields = {**lead_form.fields, "company": "optional", "message": "optional"}
    lead_form.save()
    Client().post(f"/f/{lead_form.public_key}", answers(lead_form, company="Acme", message="Call me"))
    deal = Deal.objects.for_account(tenant.account).get()
    assert (deal.owner, str(deal.value), deal.notes, deal.company.name) == (tenant.member, "1500.00", "Call me", "Acme")
    assert deal.origin == RecordOrigin.WEB_FORM


def test_scripts_in_every_field_are_stored_inert_and_escaped(lead_form, tenant):
    lead_form.fields = dict.fromkeys(("first_name", "email", "phone", "position", "company", "website"), "optional")
    lead_form.fields["last_name"] = "required"
    lead_form.save()
    evil = "<script>alert(1)</script>"
    data = answers(
        lead_form, first_name=evil, last_name=evil, position=evil, company=evil, utm_source=evil, utm_campaign=evil
    )
    assert Client().post(f"/f/{lead_form.public_key}", data).status_code == 303
    person = Person.objects.for_account(tenant.account).get()
    assert person.last_name == evil  # stored as typed...
    page = tenant.client_for("admin").get(tenant.url(f"persons/{person.pk}/")).content.decode()
    assert evil not in page
    assert "&lt;script&gt;" in page
    errors = Client().post(f"/f/{lead_form.public_key}", {**data, "email": evil})
    assert evil not in errors.content.decode()


@pytest.mark.parametrize("key", ["unknown", "x" * 80])
def test_an_unknown_key_is_not_found(lead_form, key):
    assert Client().get(f"/f/{key}").status_code == 404
    assert _post_json(lead_form.__class__(public_key=key), {}).status_code == 404


def test_an_inactive_form_is_not_found(lead_form):
    lead_form.active = False
    lead_form.save()
    assert Client().get(f"/f/{lead_form.public_key}").status_code == 404
    assert _post_json(lead_form, answers(lead_form)).status_code == 404


# --- The intake endpoint -------------------------------------------------------------------------------------


def test_the_intake_takes_json_from_an_allowed_website(lead_form, tenant):
    response = _post_json(lead_form, answers(lead_form, landing_url=NEWSLETTER, referrer="https://mail.example/"))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response.json() == {"ok": True, "message": "Thanks, we will call you.", "redirect": ""}
    assert Person.objects.for_account(tenant.account).get().source.name == "E-mail campaign"
    again = _post_json(lead_form, answers(lead_form))
    assert again.json() == response.json()  # a known address answers the same
    assert Person.objects.for_account(tenant.account).count() == 1


def test_the_intake_takes_form_encoded_bodies(lead_form, tenant):
    response = Client().post(f"/f/{lead_form.public_key}/submit", answers(lead_form), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert Person.objects.for_account(tenant.account).count() == 1


def test_the_preflight_answers_allowed_websites_only(lead_form):
    allowed = Client().options(
        f"/f/{lead_form.public_key}/submit", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "Content-Type" in allowed["Access-Control-Allow-Headers"]
    refused = Client().options(f"/f/{lead_form.public_key}/submit", HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_refused"


def test_another_website_is_refused_with_a_clear_error(lead_form, tenant):
    response = _post_json(lead_form, answers(lead_form), origin="https://evil.example")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This website may not send this form."
    assert not Person.objects.for_account(tenant.account).exists()
    hosted = Client().post(f"/f/{lead_form.public_key}", answers(lead_form), HTTP_ORIGIN="https://evil.example")
    assert hosted.status_code == 403


def test_the_intake_names_each_wrong_field(lead_form, tenant):
    response = _post_json(lead_form, answers(lead_form, last_name="", email="x" * 300))
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields["last_name"] == ["This field is required."]
    assert fields["email"] == ["At most 254 characters; you typed 300."]
    assert not Person.objects.for_account(tenant.account).exists()


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"text"', "\xff"])
def test_a_body_that_is_not_an_object_is_a_clear_400(lead_form, body):
    response = Client().post(
        f"/f/{lead_form.public_key}/submit", body, content_type="application/json", HTTP_ORIGIN=ORIGIN
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["body"]


def test_a_megabyte_body_is_refused_with_413(lead_form, tenant):
    huge = answers(lead_form, first_name="x" * (1024 * 1024))
    response = _post_json(lead_form, huge)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    hosted = Client().post(f"/f/{lead_form.public_key}", huge)
    assert hosted.status_code == 413
    assert not Person.objects.for_account(tenant.account).exists()


@override_settings(LEADFORM_RATE_PER_ADDRESS=3)
def test_a_flood_from_one_address_is_refused_past_the_limit(lead_form, tenant):
    statuses = [
        _post_json(lead_form, answers(lead_form, email=f"p{n}@example.pl"), REMOTE_ADDR="10.9.9.9").status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert Person.objects.for_account(tenant.account).count() == 3
    other = _post_json(lead_form, answers(lead_form, email="q@example.pl"), REMOTE_ADDR="10.9.9.10")
    assert other.status_code == 200


@override_settings(LEADFORM_RATE_PER_FORM=2, LEADFORM_RATE_PER_ADDRESS=100)
def test_a_flood_on_one_form_is_refused_from_every_address(lead_form, tenant):
    statuses = [
        _post_json(lead_form, answers(lead_form, email=f"p{n}@example.pl"), REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 429, 429]
    response = _post_json(lead_form, answers(lead_form), REMOTE_ADDR="10.0.0.99")
    assert response["Retry-After"] == "60"
    assert IntakeCounter.objects.filter(bucket=f"form:{lead_form.pk}").get().hits == 5


def test_the_description_gives_the_embed_script_a_token_and_the_fields(lead_form):
    response = Client().get(f"/f/{lead_form.public_key}/form.json?lang=pl", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    body = response.json()
    assert [field["name"] for field in body["fields"]] == ["first_name", "last_name", "email", "phone"]
    assert body["fields"][1]["label"] == "Nazwisko"
    assert body["token"]
    assert body["submit_url"].endswith(f"/f/{lead_form.public_key}/submit")
    refused = Client().get(f"/f/{lead_form.public_key}/form.json", HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403


def test_the_embed_script_is_small_and_first_party():
    response = Client().get("/f/embed.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    source = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(source) < 12_000
    text = source.decode()
    assert "eval(" not in text
    assert "new Function" not in text
    assert "innerHTML" not in text
    assert "http://" not in text
    assert "https://" not in text.split("*/", 1)[1]


def test_a_form_with_a_redirect_sends_the_visitor_there(lead_form):
    lead_form.redirect_url = "https://www.shop.example.pl/thanks?x=1"
    lead_form.save()
    shown = Client().get(f"/f/{lead_form.public_key}")
    # The page's form-action allows the redirect that follows its POST (browsers apply it to redirects too).
    assert "form-action 'self' https://www.shop.example.pl" in shown["Content-Security-Policy"]
    response = Client().post(f"/f/{lead_form.public_key}", answers(lead_form))
    assert (response.status_code, response["Location"]) == (303, "https://www.shop.example.pl/thanks?x=1")
    assert _post_json(lead_form, answers(lead_form, email="b@example.pl")).json()["redirect"] == lead_form.redirect_url


def test_a_key_writes_only_into_its_own_account(lead_form, tenant, other_tenant):
    theirs = make_form(other_tenant.account)
    # Our form's token on their key: refused (a token names its form).
    assert _post_json(theirs, answers(lead_form)).status_code == 422
    assert _post_json(theirs, answers(theirs)).status_code == 200
    assert Person.objects.for_account(other_tenant.account).count() == 1
    assert not Person.objects.for_account(tenant.account).exists()
    assert not FormSubmission.objects.for_account(tenant.account).exists()
