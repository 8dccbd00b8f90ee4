"""Counters the trust tests add to (requests sent, fuzz examples, races, acknowledged writes, kills survived).

They are printed at the end of the pytest run (see conftest.py) and written to var/trust-figures.json, so a CI log
shows the figures the issue asks for.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

_counts: Counter[str] = Counter()

LABELS = {
    "requests": "requests sent in all (walker, leak walk, roles, mass assignment, sessions, hostile corpus, fuzzers)",
    "fuzz_requests": "of which hypothesis-generated (forms, query strings, API operations)",
    "race_rounds": "race rounds (threads released by a barrier)",
    "soak_acknowledged": "soak: writes acknowledged by the server",
    "soak_found": "soak: acknowledged writes found afterwards",
    "soak_errors_other": "soak: errors other than 409/429",
    "soak_conflicts": "soak: 409 conflicts",
    "sqlite_writes": "SQLite concurrent writers: writes acknowledged",
    "sqlite_locked": "SQLite concurrent writers: 'database is locked' reaching a user",
    "kills": "kill -9 during a merge: kills survived (all-or-nothing, integrity clean)",
    "browser_pages": "pages loaded in Chromium with hostile names (no script ran)",
}


def count(name: str, n: int = 1) -> None:
    _counts[name] += n


def snapshot() -> dict[str, int]:
    return dict(_counts)


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(snapshot(), indent=2, sort_keys=True) + "\n")
