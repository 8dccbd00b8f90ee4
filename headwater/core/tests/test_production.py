"""The production settings serve every kind of page under gunicorn, with static files built by the manifest
storage: `scripts/check_production.py`, the same check CI runs (on PostgreSQL when the suite runs there)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


def test_production_settings_build_static_files_and_serve_every_page_kind():
    command = [sys.executable, str(ROOT / "scripts" / "check_production.py")]
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith(("postgres://", "postgresql://")):
        command += ["--postgres", database]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603 — our own fixed command, no shell
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 tracebacks" in done.stdout
