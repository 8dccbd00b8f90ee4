"""The Statistics page's filter form written in Python (`{% stats_filter_form %}`, stats/templatetags/stats_tags.py)
against the template it replaces (reference_forms/_stats_filters.html, the page's form as it was).

The page valid, refused and grouped by touch, in English and Polish, with hostile owner and channel names and hostile
values in every parameter: the form must be the same HTML, byte for byte, as the former template gives for the same
context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.template import Context, engines
from django.utils import translation
from django.utils.html import escape

from headwater.channels.models import Channel
from headwater.channels.services import channel_create
from headwater.sources.services import source_set_channel
from headwater.stats.forms import StatsFilterForm
from headwater.stats.templatetags.stats_tags import stats_filter_form
from headwater.stats.tests.sample import build_sample
from headwater.testing.factories import MembershipFactory, UserFactory
from headwater.users.models import Role

pytestmark = pytest.mark.django_db

REFERENCE = (Path(__file__).parent / "reference_forms" / "_stats_filters.html").read_text().removesuffix("\n")
HOSTILE = '<b onclick="x">&\'\u202e {{ x }} {% now "Y" %}'


def _expected(context: dict[str, Any], request: Any) -> str:
    return engines["django"].from_string(REFERENCE).render(context, request)


def _form_of(page: str) -> str:
    at = page.index('<form method="get" class="toolbar stats-filters')
    return page[at : page.index("</form>", at) + len("</form>")]


@pytest.fixture
def hostile(tenant):
    built = build_sample(tenant.account, owner=tenant.member, other_owner=tenant.admin)
    account, admin = tenant.account, tenant.admin
    channel = channel_create(account=account, user=admin, name="Paid")
    source_set_channel(account=account, user=admin, source=built.website, channel_id=channel.pk)
    # Names from before the rules on names: straight into the database.
    Channel.objects.for_account(account).filter(pk=channel.pk).update(name=HOSTILE)
    owner = UserFactory(email="hostile@alpha.test", full_name=HOSTILE)
    MembershipFactory(account=account, user=owner, role=Role.MEMBER)
    return {"channel": channel, "owner": owner}


def _queries(hostile: dict[str, Any]) -> list[dict[str, str]]:
    channel, owner = str(hostile["channel"].pk), str(hostile["owner"].pk)
    return [
        {},
        {"period": "custom", "start": "2025-03-01", "end": "2025-06-30", "compare": "true", "channel": channel},
        {"period": "last_90", "owner_id": owner, "sort_contacts": "-companies", "sort_closed": "win_rate"},
        {"channel": "none", "trend_by": "channel", "sort_open": "value"},
        # Refused: each field's errors, the hidden orders' errors above the fields, hostile values echoed.
        {"period": "custom", "start": "2025-06-30", "end": "2025-03-01"},
        {"period": HOSTILE, "start": HOSTILE, "end": "", "compare": HOSTILE, "channel": HOSTILE},
        {"sort_contacts": HOSTILE, "sort_closed": "nope", "owner_id": HOSTILE, "group_by": HOSTILE},
        {"owner": owner, "owner_id": "1", "period": "this_year"},
        {"period": "last_month", "start": "2025-01-01"},
        # Grouped by touch: the touches' page, and refused with an owner and a comparison.
        {"group_by": "first_touch", "period": "last_30"},
        {"group_by": "last_touch", "owner_id": owner, "compare": "true"},
    ]


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_filter_form_is_the_former_template_byte_for_byte(tenant, hostile, language):
    client = tenant.client_for("viewer")
    statuses, forms = set(), []
    for query in _queries(hostile):
        with translation.override(language):
            response = client.get(tenant.url("stats/sources/") + "?" + urlencode(query), HTTP_ACCEPT_LANGUAGE=language)
        statuses.add(response.status_code)
        contexts = response.context if isinstance(response.context, list) else [response.context]
        context = next(c for c in contexts if "form" in c).flatten()
        with translation.override(response.wsgi_request.LANGUAGE_CODE):
            expected = _expected(context, response.wsgi_request)
        forms.append(_form_of(response.content.decode()))
        assert forms[-1] == expected, query
    assert statuses == {200, 400}
    # The cases hold what they are for: hostile names and values (escaped), errors, the language.
    shown = "".join(forms)
    assert escape(HOSTILE) in shown
    assert HOSTILE not in shown
    assert "field--error" in shown
    assert '<div class="form__errors" role="alert">' in shown
    assert ('<label for="id_period">Okres</label>' in shown) == (language == "pl")


@pytest.mark.parametrize("language", ["en", "pl"])
def test_errors_of_the_whole_form_and_of_the_hidden_orders(tenant, hostile, language):
    """Errors no request gives today (the form's own, and hidden errors beside them) in the same markup too."""
    with translation.override(language):
        form = StatsFilterForm({"period": HOSTILE, "sort_open": HOSTILE}, account=tenant.account)
        assert not form.is_valid()
        form.add_error(None, HOSTILE)
        context = {
            "form": form,
            "period_options": [
                {"value": HOSTILE, "label": HOSTILE, "selected": True, "start": HOSTILE, "end": HOSTILE},
                {"value": "x", "label": "y", "selected": False, "start": "", "end": ""},
            ],
            "hidden_errors": [HOSTILE, "plain"],
            "sort_params": {HOSTILE: HOSTILE},
        }
        assert stats_filter_form(Context(context)) == _expected(context, None)
        context.pop("hidden_errors")
        assert stats_filter_form(Context(context)) == _expected(context, None)
