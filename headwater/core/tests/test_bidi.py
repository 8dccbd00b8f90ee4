"""User text on pages is isolated (core.bidi): a name cannot reorder the page text around it.

Names can no longer hold direction controls, but older rows can (and right-to-left names are legitimate), so
these names are written around the services, straight into the database, as data from before the rule.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from hypothesis import given
from hypothesis import strategies as st

from headwater.core.bidi import (
    _REORDERING,
    FIRST_STRONG_ISOLATE,
    POP_DIRECTIONAL_ISOLATE,
    bdi,
    isolate,
    needs_isolation,
    with_names,
)
from headwater.sources import services
from headwater.sources.models import SourceChange
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db

RLO = "\u202e"
# Each is unique on the pages, so every place it shows up can be checked.
SOURCE = f"Facebook {RLO}Ads"
COMPANY = f"Acme {RLO}Corp"
PERSON_LAST = f"Nowak{RLO}Kowal"
DEAL = f"Deal {RLO}One"
ACCOUNT = f"Alpha {RLO}Team"
USER = "\u05d3\u05e0\u05d4 \u05db\u05d4\u05df"  # a Hebrew name: right-to-left letters, no control at all


def unisolated(html: str, text: str) -> list[str]:
    """Every place `text` appears in `html` outside a <bdi> element and outside an FSI ... PDI run.

    A form field's value is its own paragraph already (an input lays its text out alone), so it is not counted.
    """
    escaped = escape(text)
    problems = []
    for match in re.finditer(re.escape(escaped), html):
        before, after = html[: match.start()], html[match.end() :]
        next_open, next_close = after.find("<bdi>"), after.find("</bdi>")
        inside = next_close != -1 and (next_open == -1 or next_close < next_open)
        if inside and before.rfind("<bdi>") > before.rfind("</bdi>"):
            continue
        if before.rfind(FIRST_STRONG_ISOLATE) > before.rfind(POP_DIRECTIONAL_ISOLATE):
            continue
        if before.endswith('value="'):
            continue
        problems.append(html[max(0, match.start() - 60) : match.end() + 20])
    return problems


@pytest.fixture
def rtl_world(tenant):
    account = tenant.account
    account.name = ACCOUNT
    account.sources_enabled = True
    account.save()
    tenant.admin.full_name = USER
    tenant.admin.save()
    SourceFactory(account=account, name="Website", position=1)
    source = SourceFactory(account=account, name=SOURCE, position=2)
    company = CompanyFactory(account=account, name=COMPANY, source=source, owner=tenant.admin)
    person = PersonFactory(company=company, last_name=PERSON_LAST, source=source, owner=tenant.admin)
    deal = DealFactory(company=company, person=person, name=DEAL, source=source, owner=tenant.admin)
    SourceChange.unscoped.create(
        account=account,
        record_type="company",
        record_id=company.pk,
        new_source_id=source.pk,
        new_name=SOURCE,
        how="typed",
        user=tenant.admin,
    )
    services.source_move(account=account, user=tenant.admin, source=source, direction="up")
    return {"source": source, "company": company, "person": person, "deal": deal}


PAGES = [
    "",
    "companies/",
    "companies/{company}/",
    "companies/{company}/edit/",
    "companies/{company}/delete/",
    "persons/",
    "persons/{person}/",
    "persons/{person}/edit/",
    "deals/",
    "deals/{deal}/",
    "deals/{deal}/edit/",
    "stats/sources/",
    "stats/sources/trend-figures/",
    "settings/sources/",
    "settings/sources/{source}/delete/",
    "settings/sources/{source}/merge/",
    "settings/members/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_name_on_the_page_is_isolated(tenant, rtl_world, path):
    ids = {key: obj.pk for key, obj in rtl_world.items()}
    response = tenant.client_for("admin").get(tenant.url(path.format(**ids)))
    assert response.status_code == 200
    html = response.content.decode()
    shown = 0
    for text in (SOURCE, COMPANY, PERSON_LAST, DEAL, ACCOUNT, USER):
        assert unisolated(html, text) == [], text
        shown += html.count(escape(text))
    assert shown, "the page shows none of the names: the check would prove nothing"


def test_the_header_title_and_history_sentence(tenant, rtl_world):
    html = tenant.client_for("admin").get(tenant.url("settings/sources/")).content.decode()
    assert f"<title>Acquisition sources · {isolate(ACCOUNT)} · Headwater</title>" in html
    assert f"<summary>{bdi(USER)}</summary>" in html
    # The history sentence of issue 11: the override stays inside the name.
    assert f"Moved “{bdi(SOURCE)}” from place" in html


def test_messages_isolate_the_name(tenant, rtl_world):
    client = tenant.client_for("admin")
    source = rtl_world["source"]
    response = client.post(tenant.url(f"settings/sources/{source.pk}/archive/"), {"version": 1}, follow=True)
    assert f"Source “{bdi(SOURCE)}” archived." in response.content.decode()


def test_helpers():
    assert bdi("<b>") == "<bdi>&lt;b&gt;</bdi>"
    assert bdi("") == ""
    assert bdi(None) == ""
    assert isolate("Plain Latin, 123") == "Plain Latin, 123"  # nothing to isolate: labels stay comparable
    assert isolate(USER) == f"{FIRST_STRONG_ISOLATE}{USER}{POP_DIRECTIONAL_ISOLATE}"
    assert isolate(f"a{RLO}b").startswith(FIRST_STRONG_ISOLATE)
    assert isolate(None) == ""
    message = with_names("“%(name)s” & %(count)d more", name="<i>x</i>", count=3)
    assert message == "“<bdi>&lt;i&gt;x&lt;/i&gt;</bdi>” &amp; 3 more"


def test_ascii_text_is_decided_without_a_look_at_its_characters():
    """needs_isolation skips ASCII text: no ASCII character has a class that reorders (it would be isolated)."""
    assert not any(unicodedata.bidirectional(chr(code)) in _REORDERING for code in range(128))
    assert not needs_isolation("".join(chr(code) for code in range(128)))
    assert needs_isolation(f"Plain Latin and one {USER}")  # one right-to-left letter after ASCII still counts
    assert needs_isolation(f"{RLO}")


@given(text=st.text())
def test_bdi_of_plain_text_is_what_format_html_gives(text):
    """`bdi` writes a plain `str` itself (a Statistics page isolates hundreds of names): the same HTML as the
    `format_html` every other value takes, and safe; a safe string keeps its markup."""
    expected = format_html("<bdi>{}</bdi>", text) if text else ""
    assert bdi(text) == expected
    assert isinstance(bdi(text), SafeString)
    assert bdi(SafeString(text)) == (f"<bdi>{text}</bdi>" if text else "")
