"""The app as the benchmarks serve it with gunicorn, adding a `Server-Timing: app;dur=<ms>, cpu;dur=<ms>` header.

The duration runs from the moment the WSGI server hands over the request to the moment Django starts the
response, whose body it has rendered by then: the server's own time, without the network and the client. `cpu` is
the CPU time the worker's thread spent in that span (not the database's, nor time waiting for a core): on a
machine shared with other work it moves far less than the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from config.wsgi import application as django_application


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    started = time.perf_counter()
    cpu_started = time.thread_time()

    def timed(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (time.thread_time() - cpu_started) * 1000
        timing = f"app;dur={elapsed:.3f}, cpu;dur={cpu:.3f}"
        return start_response(status, [*headers, ("Server-Timing", timing)], exc_info)

    return django_application(environ, timed)
