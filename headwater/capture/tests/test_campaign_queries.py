"""What a matched campaign adds to a lead's queries: the match and its locks once per lead, then only the history
line of each new record (the records take the campaign the lead locked, they do not lock and read it again)."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.campaigns.models import CampaignChange
from headwater.capture.tests.test_campaigns import _lead, ready  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db

_emails = (f"lead{n}@example.pl" for n in itertools.count())


def _queries(tenant, utm_campaign: str, *, records: int) -> int:
    email = next(_emails)
    extra = {"company": {"name": f"Firma {email}"}, "deal": {"name": "Lead"}} if records == 3 else {}
    with CaptureQueriesContext(connection) as seen:
        answer = _lead(tenant, utm_campaign, email=email, **extra)
    assert answer["campaign_id"] == (tenant.spring.pk if utm_campaign == "Spring sale 2026" else None)
    return len(seen)


def test_a_matched_campaign_costs_the_same_few_queries_for_one_new_record_or_three(ready):  # noqa: F811
    _queries(ready, "warm up", records=3)
    extra_for_one = _queries(ready, "Spring sale 2026", records=1) - _queries(ready, "no such campaign", records=1)
    extra_for_three = _queries(ready, "Spring sale 2026", records=3) - _queries(ready, "no such campaign", records=3)
    # The two more records each write one campaign history line, and nothing else.
    assert extra_for_three - extra_for_one == 2
    assert CampaignChange.objects.for_account(ready.account).filter(new_campaign_id=ready.spring.pk).count() == 4
