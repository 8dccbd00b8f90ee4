"""`{% topbar %}`: the header every page carries (brand, main navigation, account switcher, language, user menu).

Written in Python because every page pays for it: through the template engine it cost 1.4 to 2.2 ms of CPU a page
(thirteen `{% url %}`s, two `{% csrf_token %}`s, the loops over the memberships and the languages), a sixth of a
list page's own work. The HTML is byte for byte what the template gave (users/tests/reference/_topbar.html, kept
and compared in users/tests/test_topbar.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import template
from django.conf import settings
from django.template.context import Context
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext

from headwater.core.bidi import bdi

register = template.Library()

# The account pages the main navigation links to: (URL name, label), in their order.
_NAV = (
    ("companies:list", "Companies"),
    ("persons:list", "Persons"),
    ("deals:list", "Deals"),
)


def _csrf_input(context: Context) -> str:
    # What {% csrf_token %} writes: nothing without a token (a page rendered outside a request).
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":  # noqa: S105 — Django's marker for "no token", not a secret
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'


@functools.lru_cache(maxsize=4096)
def _cached_url(name: str, slug: str | None, prefix: str) -> str:
    # `prefix` keys the cache by the script prefix reverse() puts in front; the URL patterns never change at run time.
    return escape(reverse(name, kwargs={"account_slug": slug} if slug is not None else None))


def _url(name: str, slug: str | None = None) -> str:
    """The escaped URL of `name` (an account page when `slug` is given), reversed once per process."""
    return _cached_url(name, slug, get_script_prefix())


def _nav(account: Any, membership: Any, path: str) -> str:
    slug = account.slug
    urls = [(_url(name, slug), label) for name, label in _NAV]
    stats_url = _url("stats:sources", slug)
    cohorts_url = _url("stats:cohorts", slug)
    parts = [f'\n      <nav class="mainnav" aria-label="{escape(gettext("Main"))}">\n' + "        \n" * 5]
    for url, label in urls:
        parts.append(f'        <a href="{url}"{_attr(url, path)}>{escape(gettext(label))}</a>\n')
    stats_attr = _current(stats_url in path or cohorts_url in path)
    parts.append(f'        <a href="{stats_url}"{stats_attr}>{escape(gettext("Statistics"))}</a>\n        ')
    if membership is not None and membership.can_write:
        import_url = _url("imports:start", slug)
        parts.append(
            f'\n        \n        <a href="{import_url}"{_attr(import_url, path)}>{escape(gettext("Import"))}</a>\n'
            "        "
        )
    parts.append("\n        ")
    if membership is not None and membership.is_admin:
        settings_url = _url("account_settings:general", slug)
        settings_attr = _current("/settings/" in path)
        parts.append(
            f'\n        \n        <a href="{settings_url}"{settings_attr}>{escape(gettext("Account settings"))}</a>\n'
            "        "
        )
    parts.append("\n      </nav>\n      ")
    return "".join(parts)


def _current(here: bool) -> str:
    # The space the template left where the attribute was not written, kept: the same bytes as before.
    return ' aria-current="page"' if here else " "


def _attr(url: str, path: str) -> str:
    return _current(url in path)


def _switcher(account: Any, memberships: list[Any]) -> str:
    if len(memberships) <= 1:
        return ""
    switch = escape(gettext("Switch account"))
    shown = bdi(account.name) if account else escape(gettext("Accounts"))
    items = []
    for m in memberships:
        url = _url("account:dashboard", m.account.slug)
        here = ' aria-current="true"' if account and m.account_id == account.pk else " "
        items.append(
            f'\n              <li><a href="{url}"{here}>{bdi(m.account.name)} '
            f"<small>{escape(m.get_role_display())}</small></a></li>\n              "
        )
    return (
        '\n          <details class="menu">\n'
        f'            <summary><span class="visually-hidden">{switch}: </span>{shown}</summary>\n'
        f'            <ul class="menu__list" aria-label="{switch}">\n'
        f"              {''.join(items)}\n"
        "            </ul>\n"
        "          </details>\n"
        "          "
    )


def _languages(current: str | None) -> str:
    options = []
    for code, _name in settings.LANGUAGES:
        info = translation.get_language_info(code)
        selected = " selected" if code == current else " "
        options.append(
            f'\n            <option value="{escape(code)}"{selected}>{escape(capfirst(info["name_local"]))}</option>\n'
            "            "
        )
    return "".join(options)


@register.simple_tag(takes_context=True)
def topbar(context: Context) -> SafeString:
    # A page rendered without a request (none is, today) gets what the template gave it: empty paths.
    request = context.get("request")
    path = request.path if request is not None else ""
    full_path = request.get_full_path() if request is not None else ""
    account = context.get("current_account")
    membership = context.get("current_membership")
    user: Any = context.get("user")
    authenticated = user is not None and user.is_authenticated
    language = translation.get_language()
    csrf = _csrf_input(context)
    brand = _url("account:dashboard", account.slug) if account else _url("core:home")
    nav = _nav(account, membership, path) if account else ""
    switcher = ""
    if authenticated:
        memberships: list[Any] | Callable[[], list[Any]] = context.get("my_memberships") or []
        if callable(memberships):
            memberships = memberships()
        # The blank lines the template's {% if %} and {% with %} lines left, kept: the same bytes as before.
        switcher = "\n          \n          " + _switcher(account, list(memberships)) + "\n          \n        "
        menu = (
            '\n          <details class="menu">\n'
            f"            <summary>{bdi(user.display_name)}</summary>\n"
            '            <ul class="menu__list">\n'
            f'              <li><a href="{_url("users:profile")}">{escape(gettext("Your profile"))}</a></li>\n'
            "              <li>\n"
            f'                <form action="{_url("users:logout")}" method="post">{csrf}\n'
            f'                  <button type="submit" class="linklike">{escape(gettext("Log out"))}</button>\n'
            "                </form>\n"
            "              </li>\n"
            "            </ul>\n"
            "          </details>\n"
            "        "
        )
    else:
        menu = f'\n          <a href="{_url("users:login")}">{escape(gettext("Log in"))}</a>\n        '
    html = (
        '<header class="topbar">\n'
        '    <div class="topbar__inner">\n'
        f'      <a class="brand" href="{brand}">\n'
        '        <span class="brand__mark" aria-hidden="true">≈</span> Headwater\n'
        "      </a>\n"
        f"      {nav}\n"
        '      <div class="topbar__right">\n'
        f"        {switcher}\n"
        f'        <form class="langswitch" action="{_url("users:set_language")}" method="post">\n'
        f"          {csrf}\n"
        f'          <input name="next" type="hidden" value="{escape(full_path)}">\n'
        f'          <label for="language-select" class="visually-hidden">{escape(gettext("Language"))}</label>\n'
        '          <select id="language-select" name="language" class="js-autosubmit">\n'
        f"            \n            {_languages(language)}\n"
        "          </select>\n"
        f'          <noscript><button type="submit">{escape(gettext("Change"))}</button></noscript>\n'
        "        </form>\n"
        f"        {menu}\n"
        "      </div>\n"
        "    </div>\n"
        "  </header>"
    )
    return SafeString(html)
