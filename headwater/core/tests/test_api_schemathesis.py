"""Schemathesis against the live OpenAPI document, with the tokens of two accounts.

For every operation: no 5xx, responses (status, content type, headers, body) match the document, invalid input is
refused, and no response ever contains the other account's data (a unique marker is planted in every kind of
record the other account has, and in its member's name and e-mail).

Examples per operation: 25 by default, 200 with HEADWATER_LONG=1.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from headwater.testing.factories import (
    CompanyFactory,
    DealFactory,
    MembershipFactory,
    PersonFactory,
    SourceFactory,
    UserFactory,
)
from headwater.users.models import Role
from headwater.users.token_services import api_token_create

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MARKER = "LEAKMARKER7f3a"
EXAMPLES = 200 if os.environ.get("HEADWATER_LONG") else 25


@pytest.fixture
def plant_other_account(other_tenant):
    """The other account, with the marker in every kind of row the API could ever show."""
    account = other_tenant.account
    account.sources_enabled = True
    account.save()
    source = SourceFactory(account=account, name=f"{MARKER} source")
    company = CompanyFactory(account=account, name=f"{MARKER} company", notes=MARKER, source=source)
    person = PersonFactory(account=account, company=company, last_name=f"{MARKER} person", email="x@leak.example")
    DealFactory(account=account, company=company, person=person, name=f"{MARKER} deal", value=Decimal("77.77"))
    stranger = UserFactory(email=f"{MARKER.lower()}@bravo.test", full_name=f"{MARKER} member")
    MembershipFactory(account=account, user=stranger, role=Role.ADMIN)
    return other_tenant


@pytest.fixture(autouse=True)
def two_accounts(tenant, plant_other_account, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    cache.clear()
    account = tenant.account
    account.sources_enabled = True
    account.save()
    source = SourceFactory(account=account, name="Web")
    company = CompanyFactory(account=account, name="Ours", source=source)
    person = PersonFactory(account=account, company=company, last_name="Nowak")
    DealFactory(account=account, company=company, person=person, name="Our deal")
    # Django's test client does the same: the WSGI handler must not close the test transaction's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth_header(tenant):
    _, secret = api_token_create(account=tenant.account, user=tenant.admin, name="schemathesis")
    return {"Authorization": f"Bearer {secret}"}


def no_other_account_data(ctx, response, case):
    """The planted marker must never come back, whatever was asked."""
    if MARKER.lower() in response.text.lower():
        raise AssertionError(f"{case.method} {case.formatted_path} returned the other account's data")


# The document itself needs no database: it is loaded once, when the module is collected.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    unsupported_method,
    no_other_account_data,
]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_against_its_schema(case, auth_header):
    case.call_and_validate(headers=headers_for(case, auth_header), checks=CHECKS)


def headers_for(case, auth_header):
    """Our token, unless the case is about a missing or broken header: then it goes out as generated (and
    must be refused). Adding the token back would turn such a case into a valid request."""
    headers = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if headers is not None and headers.mode.is_negative:
        return None
    return auth_header


def test_the_leak_check_can_fail():
    class Leaky:
        text = f'{{"items": [{{"name": "{MARKER} company"}}]}}'

    class Case:
        method = "GET"
        formatted_path = "/api/v1/companies"

    with pytest.raises(AssertionError, match="other account"):
        no_other_account_data(None, Leaky(), Case())
    assert no_other_account_data(None, type("Clean", (), {"text": "{}"})(), Case()) is None
