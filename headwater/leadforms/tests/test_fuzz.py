"""Whatever a client sends to the intake endpoint or the hosted page, the answer is never a 500 and nothing is half
stored: hypothesis builds bodies from the form's own field names, odd text and odd types."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.capture.models import Touch
from headwater.leadforms.services import FACT_FIELDS
from headwater.leadforms.tests.helpers import ORIGIN, aged_token, make_form
from headwater.persons.models import Person

pytestmark = pytest.mark.django_db

NAMES = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "how_heard",
    "consent",
    "hw_url",
    "hw_token",
    *FACT_FIELDS,
]
TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        ["", "ola@example.pl", "+48 600 100 200", "0", "99999", "²", "https://x.pl/?utm_source=a", "\x00", "on"]
    ),
)
VALUE = st.one_of(
    TEXT, st.integers(), st.booleans(), st.none(), st.lists(TEXT, max_size=2), st.dictionaries(TEXT, TEXT, max_size=2)
)


@pytest.fixture
def lead_form(tenant):
    return make_form(
        tenant.account,
        how_heard=True,
        answers=[{"label": "A friend", "source_id": None}],
        consent_text="I agree",
        fields={
            "first_name": "optional",
            "last_name": "required",
            "email": "optional",
            "phone": "optional",
            "company": "optional",
        },
    )


@override_settings(LEADFORM_RATE_PER_ADDRESS=0, LEADFORM_RATE_PER_FORM=0)
@given(
    body=st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=20), VALUE, max_size=12), valid_token=st.booleans()
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_intake_never_fails_on_any_json(lead_form, tenant, body, valid_token):
    if valid_token:
        body["hw_token"] = aged_token(lead_form)
    persons_before = Person.objects.for_account(tenant.account).count()
    touches_before = Touch.objects.for_account(tenant.account).count()
    response = Client().post(
        f"/f/{lead_form.public_key}/submit",
        json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code in (200, 400, 422)
    touches = Touch.objects.for_account(tenant.account).count()
    if response.status_code == 200:
        assert touches == touches_before + 1
    else:
        assert response.json()["error"]["fields"]
        assert (Person.objects.for_account(tenant.account).count(), touches) == (persons_before, touches_before)


@override_settings(LEADFORM_RATE_PER_ADDRESS=0, LEADFORM_RATE_PER_FORM=0)
@given(body=st.dictionaries(st.sampled_from(NAMES), TEXT, max_size=12))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_hosted_page_never_fails_on_any_form(lead_form, body):
    body = {key: value.replace("\x00", "") for key, value in body.items()}  # a form encoding cannot carry NUL anyway
    response = Client().post(
        f"/f/{lead_form.public_key}", {**body, "hw_token": aged_token(lead_form)}, REMOTE_ADDR="10.1.2.4"
    )
    assert response.status_code in (303, 422)
