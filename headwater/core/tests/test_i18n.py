from __future__ import annotations

from django.test import override_settings
from django.utils import translation

from headwater.core import i18n


def test_a_fixed_message_is_translated_into_the_active_language_each_time():
    for _ in range(2):  # the second time from the cache
        with translation.override("pl"):
            assert i18n.gettext("Total") == translation.gettext("Total") == "Razem"
        with translation.override("en"):
            assert i18n.gettext("Total") == "Total"
    # Through a name: a literal in the call would be a marked string, which the catalogue test wants translated.
    unknown = "A message no catalogue has"
    with translation.override("pl"):
        assert i18n.gettext(unknown) == unknown


def test_the_translations_are_forgotten_with_the_catalogues():
    with translation.override("pl"):
        i18n.gettext("Total")
        assert i18n._translated.cache_info().currsize > 0
        with override_settings(LOCALE_PATHS=[]):
            assert i18n._translated.cache_info().currsize == 0
