"""The URL of an account's page by its name, reversed once per process.

Django's `reverse` finds a name's patterns, substitutes the arguments, checks the result against the pattern and
quotes it: 15-30 us a call, the same text every time for the same name, account and script prefix. A Statistics
page asks for the same eight or so (the record lists its figures link to, its parts, the settings it links to) on
every request. `account_reverse` keeps each answer, keyed by everything `reverse` reads besides its arguments: the
URLconf in use (`get_urlconf`: None for the settings' one), the script prefix and the active language (Django keeps
its patterns per language, for translated ones). Tests that change the URLconf
through the settings (`override_settings(ROOT_URLCONF=...)`) empty the cache, as Django empties its own.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language


@lru_cache(maxsize=4096)
def _reversed(name: str, account_slug: str, urlconf: str | None, prefix: str, language: str | None) -> str:
    # Called with `urlconf`, `prefix` and `language` in effect (`account_reverse` below), so `reverse` reads them.
    return reverse(name, urlconf=urlconf, kwargs={"account_slug": account_slug})


def account_reverse(name: str, *, account_slug: str) -> str:
    """`reverse(name, kwargs={"account_slug": account_slug})`, kept per process."""
    return _reversed(name, account_slug, get_urlconf(), get_script_prefix(), get_language())


@receiver(setting_changed)
def _forget_urls(*, setting: str, **kwargs: Any) -> None:
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _reversed.cache_clear()
