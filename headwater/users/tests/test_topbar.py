"""The header written in Python (users/templatetags/topbar.py) against the template it replaced
(reference/_topbar.html, as it was in base.html): the same HTML, byte for byte, on the pages as users get them.

Anonymous, and an admin, a member and a viewer; one account or several (the switcher); every page of the main
navigation (which link is current), a settings page, a page outside any account; English and Polish; hostile
account and user names and a hostile query string (the language form's `next`).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.template import engines
from django.test import Client
from django.utils import translation

from headwater.testing.factories import AccountFactory, MembershipFactory, UserFactory
from headwater.users.models import Role

REFERENCE = (Path(__file__).parent / "reference" / "_topbar.html").read_text()
HOSTILE = '<b onclick="x">&\'\u202e {{ x }}'
# Each {% csrf_token %} masks the secret anew: the token's value is left out of the comparison, not its place.
_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def _header(html: str) -> str:
    start = html.index('<header class="topbar">')
    return html[start : html.index("</header>", start) + len("</header>")]


def _expected(response: Any) -> str:
    contexts = response.context if isinstance(response.context, list) else [response.context]
    context = next(c for c in contexts if "my_memberships" in c).flatten()
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return engines["django"].from_string(REFERENCE).render(context, response.wsgi_request)


def _compare(response: Any) -> None:
    assert response.status_code == 200, response.status_code
    got = _TOKEN.sub(r"\1\2", _header(response.content.decode()))
    expected = _TOKEN.sub(r"\1\2", _expected(response))
    # A line-by-line diff of the reprs: the differences are whitespace as often as markup.
    diff = "\n".join(
        difflib.unified_diff(
            [repr(line) for line in expected.split("\n")], [repr(line) for line in got.split("\n")], lineterm=""
        )
    )
    assert got == expected, diff
    assert "<b onclick" not in got


@pytest.mark.django_db
def test_the_anonymous_header_is_the_templates() -> None:
    client = Client()
    for language in ("en", "pl"):
        client.cookies["django_language"] = language
        _compare(client.get(f"/login/?next={quote(HOSTILE)}"))


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize(("role", "accounts"), [(Role.ADMIN, 2), (Role.MEMBER, 1), (Role.VIEWER, 3)])
def test_the_account_header_is_the_templates(language: str, role: str, accounts: int) -> None:
    user = UserFactory(full_name=HOSTILE, language=language)
    account = AccountFactory(name=HOSTILE, sources_enabled=True)
    MembershipFactory(account=account, user=user, role=role)
    for number in range(accounts - 1):
        MembershipFactory(account=AccountFactory(name=f"{HOSTILE} {number}"), user=user, role=Role.VIEWER)
    client = Client()
    client.force_login(user)
    pages = [
        "",
        "companies/",
        "persons/",
        f"deals/?q={quote(HOSTILE)}&x=%22%27%3C",
        "stats/sources/",
        "stats/cohorts/",
    ]
    if role != Role.VIEWER:
        pages.append("import/")
    if role == Role.ADMIN:
        pages += ["settings/", "settings/sources/"]
    for page in pages:
        _compare(client.get(f"/a/{account.slug}/{page}"))
    _compare(client.get(f"/me/?next={quote(HOSTILE)}"))


def test_the_base_template_uses_the_tag() -> None:
    base = (Path(__file__).parents[2] / "templates" / "base.html").read_text()
    assert "{% topbar %}" in base
    assert '<header class="topbar">' not in base


@pytest.mark.django_db
def test_a_page_rendered_without_a_request_gets_the_templates_header() -> None:
    template = engines["django"].from_string("{% load topbar %}{% topbar %}")
    expected = engines["django"].from_string(REFERENCE)
    with translation.override("pl"):
        assert template.render({}) == expected.render({})
