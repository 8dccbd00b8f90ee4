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


def test_a_plural_message_takes_the_form_of_its_number_in_the_active_language_each_time():
    singular, plural = "%(count)s campaign", "%(count)s campaigns"
    for _ in range(2):  # the second time from the cache
        for number in (0, 1, 2, 4, 5, 12, 22, 25, 101, 1000):
            with translation.override("pl"):
                assert i18n.ngettext(singular, plural, number) == translation.ngettext(singular, plural, number)
            with translation.override("en"):
                assert i18n.ngettext(singular, plural, number) == translation.ngettext(singular, plural, number)
    with translation.override("pl"):
        forms = {i18n.ngettext(singular, plural, number) for number in (1, 2, 5)}
    assert len(forms) == 3  # Polish: one, a few, many


def test_the_plural_translations_are_forgotten_with_the_catalogues():
    with translation.override("pl"):
        i18n.ngettext("%(count)s campaign", "%(count)s campaigns", 2)
        assert i18n._translated_plural.cache_info().currsize > 0
        with override_settings(LOCALE_PATHS=[]):
            assert i18n._translated_plural.cache_info().currsize == 0
