"""The filter bar's and the bulk change form's fields (records/templatetags/list_forms.py) and the table's sortable
headers (records.rows.table_head) written in Python, against the templates they replace (reference_forms/:
`_list_toolbar.html`, `_list_actions.html` and `_sort_headers.html` as they were).

Every registered kind's list page, with hostile names and values chosen, searched and invalid, in English and Polish,
for an admin (with the bulk form, also refused with its errors) and a viewer: the filter bar and the action bar must
be the same HTML as the former templates give for the same context (whitespace aside).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse
from django.utils import translation

from headwater.records.registry import record_kinds
from headwater.testing.factories import (
    AccountFactory,
    CampaignFactory,
    CompanyFactory,
    MembershipFactory,
    PersonFactory,
    SourceFactory,
    UserFactory,
)
from headwater.users.models import Role

REFERENCE = {path.name: path.read_text() for path in (Path(__file__).parent / "reference_forms").glob("*.html")}
HOSTILE = '<b onclick="x">&\'\u202e {{ x }}'


def _normalized(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def _part(html: str, start: str, end: str) -> str:
    at = html.index(start)
    return html[at : html.index(end, at) + len(end)]


def _expected(response: Any, name: str) -> str:
    contexts = response.context if isinstance(response.context, list) else [response.context]
    context = next(c for c in contexts if "filter_form" in c).flatten()
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return engines["django"].from_string(REFERENCE[name]).render(context, response.wsgi_request)


def _compare(response: Any, *, bulk: bool) -> None:
    page = response.content.decode()
    if "list-toolbar" in page:  # the whole page: the filter bar too
        toolbar = _part(page, '<form class="toolbar list-toolbar"', "</form>")
        assert _normalized(toolbar) == _normalized(_expected(response, "_list_toolbar.html"))
    head = _part(page, "<thead>", "</thead>")
    assert _normalized(head) == _normalized(_expected(response, "_sort_headers.html"))
    actions = _part(page, '<div class="list-actions">', '<div class="table-wrap">').removesuffix(
        '<div class="table-wrap">'
    )
    assert _normalized(actions) == _normalized(_expected(response, "_list_actions.html"))
    assert ('id="bulk-form"' in page) == bulk
    assert "<b onclick" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_the_list_forms_are_the_templates_forms(language: str, role: str) -> None:
    account = AccountFactory(sources_enabled=True)
    owner = UserFactory(full_name=HOSTILE)
    MembershipFactory(account=account, user=owner, role=Role.MEMBER)
    source = SourceFactory(account=account, name=HOSTILE)
    SourceFactory(account=account, name="Archived " + HOSTILE, archived=True)
    campaign = CampaignFactory(source=source, name=HOSTILE)
    company = CompanyFactory(account=account, name=HOSTILE)
    person = PersonFactory(account=account, company=company, first_name=HOSTILE)
    user = UserFactory(language=language)
    MembershipFactory(account=account, user=user, role=role)
    client = Client()
    client.force_login(user)
    queries = [
        "",
        f"?q={quote(HOSTILE)}&owner={owner.pk}&source={source.pk}&campaign={campaign.pk}&sort=-created",
        f"?owner={quote(HOSTILE)}&source=99999&created_from={quote(HOSTILE)}&created_to=2026-13-01",
        f"?owner=none&status=won&closed_from=2026-03-31&closed_to=2026-01-01&company={company.pk}&person={person.pk}",
        f"?company_search={quote(HOSTILE)}&person_search={quote(HOSTILE)}&sort={quote(HOSTILE)}",
        f"?sort=-created&q=a&q={quote(HOSTILE)}&x=%26%3D",
        "?sort=name&cursor=not-a-cursor",  # refused (400), the page as it is, its headers without the position
    ]
    apps = [kind.app for kind in record_kinds() if kind.pages is not None]
    assert apps
    for app in apps:
        for query in queries:
            response = client.get(f"/a/{account.slug}/{app}/{query}")
            assert response.status_code == (400 if "cursor" in query else 200)
            _compare(response, bulk=role == Role.ADMIN)
            fragment = client.get(f"/a/{account.slug}/{app}/{query}", headers={"HX-Request": "true"})
            _compare(fragment, bulk=role == Role.ADMIN)
        if role == Role.ADMIN:  # a refused change: the page again with the bulk form's errors
            url = reverse(f"{app}:bulk_change", kwargs={"account_slug": account.slug})
            refused = client.post(url, {"owner": HOSTILE, "source": "99999", "ids": ["x"]})
            assert refused.status_code == 400
            assert "field--error" in _part(refused.content.decode(), 'id="bulk-form"', "</form>")
            _compare(refused, bulk=True)


@pytest.mark.django_db
def test_the_filter_bar_names_its_fields_in_polish() -> None:
    """The labels the browser tests find the fields by, and the picker's search box, in the user's language."""
    account = AccountFactory(sources_enabled=True)
    user = UserFactory(language="pl")
    MembershipFactory(account=account, user=user, role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    page = client.get(f"/a/{account.slug}/deals/").content.decode()
    with translation.override("pl"):
        for field_id, label in [("id_q", "Search"), ("id_status", "Status"), ("bulk_owner", "Set %(field)s")]:
            shown = translation.gettext(label) % {"field": translation.gettext("Owner").lower()}
            assert f'<label for="{field_id}">{shown}</label>' in page
        search = translation.gettext("Search: %(label)s") % {"label": translation.gettext("Company")}
    assert f'<label class="visually-hidden" for="id_company_search">{search}</label>' in page
