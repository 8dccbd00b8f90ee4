"""The rules page's "past touches that would change": one grouped query, the same counts as the full preview."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.capture import services
from headwater.capture.selectors import rule_list
from headwater.records.tests.api_contract import enable_sources
from headwater.sources.models import Source

pytestmark = pytest.mark.django_db

VISITS = [
    ("https://shop.example.pl/a?utm_source=newsletter&utm_medium=email", ""),
    ("https://shop.example.pl/b?utm_source=newsletter&utm_medium=email", ""),
    ("https://shop.example.pl/pricing?gclid=abc", "https://www.google.pl/"),
    ("https://shop.example.pl/pricing", "https://www.google.com/"),
    ("https://shop.example.pl/", "https://l.facebook.com/"),
    ("https://shop.example.pl/?utm_source=partnerx", ""),
    ("https://shop.example.pl/pricing?utm_source=Partnerx", "https://blog.example.com/"),
    ("https://shop.example.pl/", ""),
]


def _leads(tenant, count: int) -> None:
    for n in range(count):
        landing, referrer = VISITS[n % len(VISITS)]
        services.lead_capture(
            account=tenant.account,
            user=tenant.admin,
            channel="API",
            person={"last_name": f"P{n}", "email": f"p{n}@example.pl"},
            touch={"landing_url": landing, "referrer": referrer},
            deal={} if n % 3 == 0 else None,
        )


def _same(account) -> None:
    preview = services.capture_preview(account=account, rules=list(rule_list(account=account)))
    assert services.capture_pending(account=account) == preview


def test_pending_counts_agree_with_the_preview_as_rules_change(tenant):
    account = tenant.account
    enable_sources(account)
    _leads(tenant, 16)
    _same(account)
    assert services.capture_pending(account=account).touches == 0
    services.capture_rules_seed_defaults(account=account, user=tenant.admin)
    _same(account)
    assert services.capture_pending(account=account).touches > 0
    partner = Source.objects.for_account(account).first()
    services.mapping_rule_save(
        account=account, user=tenant.admin, rule=None, data={"utm_source": "partnerx", "target": partner.pk}
    )
    services.mapping_rule_save(
        account=account, user=tenant.admin, rule=None, data={"landing_path": "/pricing", "target": partner.pk}
    )
    _same(account)
    services.capture_reapply(account=account, user=tenant.admin)
    assert services.capture_pending(account=account).touches == 0
    _same(account)


def test_pending_reads_one_grouped_query_whatever_the_touches(tenant, admin_client):
    account = tenant.account
    enable_sources(account)
    services.capture_rules_seed_defaults(account=account, user=tenant.admin)
    _leads(tenant, 8)
    url = f"/a/{account.slug}/settings/capture/"
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    _leads(tenant, 40)
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(url).status_code == 200
    assert len(many) == len(few)
    touch_reads = [q for q in many.captured_queries if 'FROM "capture_touch"' in q["sql"]]
    assert len(touch_reads) == 1
    assert "GROUP BY" in touch_reads[0]["sql"]
