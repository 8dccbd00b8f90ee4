from __future__ import annotations

from django.test import override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from headwater.core import reversed as reversed_urls
from headwater.core.reversed import account_reverse


def test_an_account_url_is_what_reverse_gives_each_time() -> None:
    for _ in range(2):  # the second time from the cache
        for name in ("deals:list", "stats:sources", "spend:ledger"):
            assert account_reverse(name, account_slug="acme") == reverse(name, kwargs={"account_slug": "acme"})
    assert account_reverse("deals:list", account_slug="other") == reverse(
        "deals:list", kwargs={"account_slug": "other"}
    )


def test_the_script_prefix_is_part_of_the_key() -> None:
    plain = account_reverse("deals:list", account_slug="acme")
    set_script_prefix("/crm/")
    try:
        assert account_reverse("deals:list", account_slug="acme") == "/crm" + plain
    finally:
        clear_script_prefix()
    assert account_reverse("deals:list", account_slug="acme") == plain


def test_the_urls_are_forgotten_when_the_urlconf_changes() -> None:
    account_reverse("deals:list", account_slug="acme")
    assert reversed_urls._reversed.cache_info().currsize > 0
    with override_settings(ROOT_URLCONF="config.urls"):
        assert reversed_urls._reversed.cache_info().currsize == 0
