"""`make run`'s launcher (scripts/serve.py): the worker and the web server start together and stop together."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
            return bool(response.status)
    except urllib.error.HTTPError:
        return True  # an answer all the same
    except OSError:
        return False


def test_serve_starts_the_worker_beside_the_web_server_and_ctrl_c_stops_both(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    # The worker reads the queue's table from its first second: that app's migrations are enough here.
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "django_tasks_database", "-v0"], cwd=ROOT, env=env, check=True
    )
    launcher = subprocess.Popen(  # noqa: S603 — our own command
        [sys.executable, "scripts/serve.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = web = None
    try:
        assert launcher.stdout is not None
        first = launcher.stdout.readline()
        found = re.search(r"worker pid (\d+), web pid (\d+)", first)
        assert found, first
        worker, web = int(found[1]), int(found[2])
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert time.monotonic() < deadline, "the web server never answered"
            assert launcher.poll() is None, launcher.stdout.read()
            time.sleep(0.3)
        assert "db_worker" in Path(f"/proc/{worker}/cmdline").read_bytes().decode()
        assert _group_alive(worker)
        assert _group_alive(web)

        launcher.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert launcher.wait(timeout=30) == 0
        output = launcher.stdout.read()
        assert "serve: stopped" in output
        assert not _group_alive(worker), "the worker (or its reloader's child) outlived Ctrl-C"
        assert not _group_alive(web), "the web server (or its reloader's child) outlived Ctrl-C"
        assert not _answers(port)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        for pgid in (worker, web):
            if pgid is not None and _group_alive(pgid):
                os.killpg(pgid, signal.SIGKILL)


def test_serve_stops_the_worker_when_the_web_server_dies(tmp_path):
    """Either one stopping by itself takes the other down, loudly: no site without its worker, no orphan worker."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "django_tasks_database", "-v0"], cwd=ROOT, env=env, check=True
    )
    launcher = subprocess.Popen(  # noqa: S603 — our own command
        [sys.executable, "scripts/serve.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = web = None
    try:
        assert launcher.stdout is not None
        found = re.search(r"worker pid (\d+), web pid (\d+)", launcher.stdout.readline())
        assert found
        worker, web = int(found[1]), int(found[2])
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert time.monotonic() < deadline, "the web server never answered"
            time.sleep(0.3)
        os.killpg(web, signal.SIGKILL)
        assert launcher.wait(timeout=30) != 0
        assert "the web stopped" in launcher.stdout.read()
        assert not _group_alive(worker)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        for pgid in (worker, web):
            if pgid is not None and _group_alive(pgid):
                os.killpg(pgid, signal.SIGKILL)
