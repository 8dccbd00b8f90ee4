"""Translations of the messages written in the code, looked up once per language and process.

Django's `gettext` finds the active language in an `asgiref` local and then the message in the catalogue chain:
about as long as building the rest of a table cell. A Statistics page asks for the same hundred or so fixed messages
("Total", column titles, notes) on every request; `i18n.gettext` asks Django once per language and message. Called
as `i18n.gettext(...)`, so `makemessages` (xgettext) finds the messages as it finds Django's `gettext(...)`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation


@lru_cache(maxsize=4096)
def _translated(language: str | None, message: str) -> str:
    # Called with `language` active (`gettext` below), so Django's answer is that language's.
    return translation.gettext(message)


def gettext(message: str) -> str:
    """Django's `gettext(message)` for a message fixed in the code (never user text: the cache keeps every one)."""
    return _translated(translation.get_language(), message)


@lru_cache(maxsize=4096)
def _translated_plural(language: str | None, singular: str, plural: str, number: int) -> str:
    # As `_translated`: called with `language` active.
    return translation.ngettext(singular, plural, number)


def ngettext(singular: str, plural: str, number: int) -> str:
    """Django's `ngettext(singular, plural, number)` for messages fixed in the code, kept per language, messages and
    number: a Statistics page writes "%(count)s still open" under a median per row, mostly the same counts from one
    request to the next."""
    return _translated_plural(translation.get_language(), singular, plural, number)


@receiver(setting_changed)
def _forget_translations(*, setting: str, **kwargs: Any) -> None:
    # Django drops its catalogues when these change (tests); the translations made from them go too.
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:
        _translated.cache_clear()
        _translated_plural.cache_clear()
