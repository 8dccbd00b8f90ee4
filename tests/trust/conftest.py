"""Fixtures of the trust suite: the two-account world, API clients with real tokens, and clean rate counters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction

from conftest import _tenant
from tests.trust import figures
from tests.trust.world import World, build_world


@pytest.fixture(autouse=True)
def _fresh_counters(settings: Any) -> None:
    # The API rate limit and the log-in throttle count in the cache; each test starts from zero.
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    cache.clear()


@pytest.fixture(scope="module")
def _module_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """Built once per module inside an outer transaction; each test's own transaction is a savepoint in it (as
    Django's TestCase.setUpTestData does), so every test starts from the same world and the module leaves nothing."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world(_tenant("alpha"), _tenant("bravo"), _tenant("charlie"))
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(_module_world: World, db: Any) -> World:
    for side in (_module_world.ours, _module_world.theirs):
        for obj in side.objects.values():
            # A test may have refreshed an object from rows its transaction changed; start from the saved ones.
            obj.refresh_from_db()
    return _module_world


def pytest_terminal_summary(terminalreporter: Any) -> None:
    counts = figures.snapshot()
    if not counts:
        return
    terminalreporter.section("trust figures")
    for name, value in sorted(counts.items()):
        terminalreporter.write_line(f"{value:>10}  {figures.LABELS.get(name, name)}")
    figures.write(Path(__file__).resolve().parents[2] / "var" / "trust-figures.json")
