from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Login throttling counts in the cache; every test starts from zero failures."""
    cache.clear()
    yield
    cache.clear()
