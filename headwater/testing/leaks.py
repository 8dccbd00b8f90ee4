"""Comparing two answers that must not tell two cases apart (a registered address and a free one, say)."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

_LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b|\"s\d+_x\d+\"")


def sql_shapes(queries: list[dict[str, Any]]) -> list[str]:
    """The statements run, with their values (strings, numbers, savepoint names) blanked out."""
    return [_LITERAL.sub("?", q["sql"]) for q in queries]


def run_measured(call: Callable[[], Any]) -> tuple[Any, list[str], float]:
    """Run `call`: its result, the shapes of the statements it ran, and its wall time in seconds."""
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
    return result, sql_shapes(captured.captured_queries), elapsed


def timing_ratio(first: list[float], second: list[float]) -> float:
    """How many times slower the slower median is: 1.0 means alike."""
    a, b = statistics.median(first), statistics.median(second)
    return max(a, b) / max(min(a, b), 1e-9)
