"""Fixtures of the trust suite: the two-account world, API clients with real tokens, and clean rate counters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from tests.trust import figures
from tests.trust.world import World, build_world


@pytest.fixture(autouse=True)
def _fresh_counters(settings: Any) -> None:
    # The API rate limit and the log-in throttle count in the cache; each test starts from zero.
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    cache.clear()


@pytest.fixture
def world(tenant: Any, other_tenant: Any) -> World:
    return build_world(tenant, other_tenant)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    counts = figures.snapshot()
    if not counts:
        return
    terminalreporter.section("trust figures")
    for name, value in sorted(counts.items()):
        terminalreporter.write_line(f"{value:>10}  {figures.LABELS.get(name, name)}")
    figures.write(Path(__file__).resolve().parents[2] / "var" / "trust-figures.json")
