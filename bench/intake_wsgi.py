"""The app as `make bench-intake` serves it: `bench.wsgi` (Server-Timing), plus a bench-only floor endpoint.

`POST /bench/touch-floor` (never in the product's URLs) reads the JSON body and inserts one `capture_touch` row for
the benchmark's account, with the landing URL and consent it was sent: no token, no validation, no matching, no
person, no lock. What a lead costs beyond that is what `POST /api/v1/leads` adds.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from bench.wsgi import application as timed_application

FLOOR_PATH = "/bench/touch-floor"


def _floor(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    from headwater.capture.models import Touch  # noqa: PLC0415 — the apps are loaded by bench.wsgi's import

    started, cpu_started = time.perf_counter(), time.thread_time()
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length) or b"{}")
    touch = body.get("touch") or {}
    created = Touch.unscoped.create(
        account_id=int(os.environ["BENCH_INTAKE_ACCOUNT"]),
        channel="floor",
        landing_url=str(touch.get("landing_url", ""))[:2000],
        consent=bool(touch.get("consent")),
    )
    answer = json.dumps({"touch_id": created.pk}).encode()
    timing = (
        f"app;dur={(time.perf_counter() - started) * 1000:.3f}, cpu;dur={(time.thread_time() - cpu_started) * 1000:.3f}"
    )
    start_response(
        "201 Created",
        [("Content-Type", "application/json"), ("Content-Length", str(len(answer))), ("Server-Timing", timing)],
    )
    return [answer]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == FLOOR_PATH and environ.get("REQUEST_METHOD") == "POST":
        return _floor(environ, start_response)
    return timed_application(environ, start_response)
