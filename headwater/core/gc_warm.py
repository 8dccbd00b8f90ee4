"""A WSGI wrapper that moves a warm worker's long-lived objects out of the garbage collector's reach.

A Django worker keeps ~110,000 objects for its whole life (modules, models, URL patterns, compiled templates,
translation catalogues), most of them created lazily by its first requests. Python's full collection walks all of
them every few dozen requests to free the request's own reference cycles: 0.3-0.4 ms a request on average, and
20-40 ms on the unlucky one (docs/performance.md). `gc.freeze()` after a full collection moves what survived into a
generation that is never walked again; what a later request creates is collected as before.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import Any

# Freezing after these requests catches what the first request of each kind builds lazily; later freezes cost a
# collection of the objects created since the last one only. 10,000 and beyond: nothing new is left to freeze.
FREEZE_AFTER = frozenset({1, 10, 100, 1_000})

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FreezeWhenWarm:
    """Serve `app`; after the requests in FREEZE_AFTER, collect and freeze what is left."""

    def __init__(self, app: WSGIApp, after: frozenset[int] = FREEZE_AFTER) -> None:
        self.app = app
        self.after = after
        self.served = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # Django renders the whole body before it returns (no streaming here but exports', which stream after):
        # the request's own objects are garbage by the next call, so the freeze runs before it, not inside it.
        if self.served in self.after:
            gc.collect()
            gc.freeze()
        self.served += 1
        return self.app(environ, start_response)
