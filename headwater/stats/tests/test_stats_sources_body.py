"""The Statistics page's figures written in Python (`{% stats_sources_body %}`, stats/sources_page.py) against the
template part it replaces (reference_forms/_stats_sources.html, the page's part as it was).

For data with hostile names (a source, a channel, a campaign and an owner named with HTML, quotes, template syntax and
a right-to-left override), with campaigns and spend in a currency without a rate, with sources but no records, and
with nothing at all; for periods, comparisons, owners, channels and orders; for admins and viewers, in English and
Polish: the part must be the same HTML, byte for byte, as the former template gives for the same context.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.template import engines
from django.utils import translation
from django.utils.html import escape

from headwater.channels.models import Channel
from headwater.channels.services import channel_create
from headwater.sources.services import source_set_channel
from headwater.spend.services import spend_create
from headwater.stats.sources_page import sources_body_html
from headwater.stats.tests import part_sample
from headwater.stats.tests.sample import build_sample
from headwater.testing.factories import CampaignFactory, CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db

REFERENCE = (Path(__file__).parent / "reference_forms" / "_stats_sources.html").read_text()
HOSTILE = '<b onclick="x">&\'\u202e {{ x }} {% now "Y" %}'


def _hostile(tenant: Any) -> None:
    """The sample, and a source, channel, campaign and owner with hostile names, with spend and won deals."""
    account, admin, member = tenant.account, tenant.admin, tenant.member
    build_sample(account, owner=member, other_owner=admin)
    channel = channel_create(account=account, user=admin, name="Paid")
    # Names from before the rules on names: straight into the database.
    Channel.objects.for_account(account).filter(pk=channel.pk).update(name=HOSTILE)
    source = SourceFactory(account=account, name=HOSTILE, position=5)
    source_set_channel(account=account, user=admin, source=source, channel_id=channel.pk)
    campaign = CampaignFactory(source=source, name=HOSTILE)
    spend_create(account=account, user=None, source=source, campaign=campaign, month=dt.date(2025, 5, 1), amount="50")
    spend_create(account=account, user=None, source=source, month=dt.date(2025, 5, 1), amount="9", currency="GBP")
    member.full_name = HOSTILE
    member.save()
    at = dt.datetime(2025, 5, 3, 12, tzinfo=dt.UTC)
    for status, value in (("won", "1234567.89"), ("won", "10.00"), ("lost", "5.00")):
        DealFactory(
            account=account,
            source=source,
            campaign=campaign,
            status=status,
            value=Decimal(value),
            currency="PLN",
            created_at=at,
            closed_at=dt.date(2025, 5, 9),
            owner=member,
        )
    CompanyFactory(account=account, source=source, created_at=at, owner=member)
    PersonFactory(account=account, source=source, created_at=at, owner=member)


def _parts(tenant: Any) -> None:
    part_sample.build(tenant.account, tenant.admin)


def _no_records(tenant: Any) -> None:
    tenant.account.sources_enabled = True
    tenant.account.save()
    SourceFactory(account=tenant.account, name="Alone", position=1)


def _nothing(tenant: Any) -> None:
    tenant.account.sources_enabled = True
    tenant.account.save()


QUERIES = [
    "",
    "?compare=true",
    "?period=custom&start=2025-05-01&end=2025-05-31&compare=true",
    "?period=custom&start=2025-04-17&end=2025-06-14&owner_id={member}&compare=true",
    "?owner_id=none&period=custom&start=2025-01-01&end=2025-12-31",
    "?channel={channel}&trend_by=channel",
    "?channel=none&sort_contacts=-companies&sort_closed=win_rate",
]


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("data", [_hostile, _parts, _no_records, _nothing])
def test_the_figures_are_the_former_template_byte_for_byte(tenant, data, language):
    data(tenant)
    channel = Channel.objects.for_account(tenant.account).values_list("pk", flat=True).first() or ""
    shown = []
    for role in ("admin", "viewer"):
        user = getattr(tenant, role)
        user.language = language
        user.save()
        client = tenant.client_for(role)
        for query in QUERIES:
            response = client.get(tenant.url("stats/sources/") + query.format(member=tenant.member.pk, channel=channel))
            assert response.status_code == 200, query
            contexts = response.context if isinstance(response.context, list) else [response.context]
            context = next(c for c in contexts if "stats" in c).flatten()
            with translation.override(response.wsgi_request.LANGUAGE_CODE):
                expected = engines["django"].from_string(REFERENCE).render(context, response.wsgi_request)
                body = sources_body_html(context)
            assert body == expected, query
            assert body in response.content.decode()
            shown.append(body)
    page = "".join(shown)
    if data is _hostile:  # the names are shown, escaped, and never as HTML
        assert escape(HOSTILE) in page
        assert HOSTILE not in page
        assert "<b onclick" not in page.replace("\\u003Cb onclick", "")  # the chart data holds it as JSON, escaped
    if data is _nothing:
        assert "stats-missing-rates" not in page
