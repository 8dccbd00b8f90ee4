"""The worker's warm objects are frozen out of the collector's walks, and the wrapper changes no response."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from config.wsgi import application
from headwater.core.gc_warm import FreezeWhenWarm


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]


def _call(app: FreezeWhenWarm, path: str) -> tuple[list[bytes], list[str]]:
    statuses: list[str] = []
    body = list(app({"PATH_INFO": path}, lambda status, headers, exc_info=None: statuses.append(status)))
    return body, statuses


def test_freezes_after_the_listed_requests_only(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def collect(*_args: object) -> int:
        calls.append("collect")
        return 0

    monkeypatch.setattr(gc, "collect", collect)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    app = FreezeWhenWarm(_app, after=frozenset({1, 3}))
    seen = []
    for number in range(5):
        body, statuses = _call(app, f"/{number}")
        assert body == [f"/{number}".encode()]
        assert statuses == ["200 OK"]
        seen.append(len(calls))
    # Nothing before the first request; a collection then a freeze before the second and before the fourth.
    assert seen == [0, 2, 2, 4, 4]
    assert calls == ["collect", "freeze"] * 2


@pytest.mark.usefixtures("unfrozen")
def test_live_objects_are_frozen_and_garbage_is_collected_first() -> None:
    class Thing:
        def __init__(self) -> None:
            self.me = self  # a reference cycle: only the collector frees it

    app = FreezeWhenWarm(_app, after=frozenset({1}))
    _call(app, "/")
    kept = Thing()
    dropped = weakref.ref(Thing())
    assert dropped() is not None  # held by its own cycle until a collection
    _call(app, "/")
    assert gc.get_freeze_count() > 0
    assert dropped() is None, "garbage was frozen instead of collected"
    assert not any(thing is kept for thing in gc.get_objects()), "a live object is still walked by the collector"


def test_the_served_application_is_wrapped() -> None:
    assert isinstance(application, FreezeWhenWarm)
