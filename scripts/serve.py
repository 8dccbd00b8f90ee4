"""`make run`'s server: the background worker (`manage.py db_worker`) beside the web server (`runserver`).

One command for both; Ctrl-C (SIGINT) or SIGTERM stops both, and so does either of them stopping by itself. Each
child runs in its own process group (a reloader's child process with it), so stopping a group stops all of it.

    python scripts/serve.py [--port 8000] [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 10  # a worker finishing its job gets this long before it is killed


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each child's whole group (a worker finishes the job it runs, then exits), SIGKILL to what is left
    after the grace period."""
    for child in children.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, child in children.items():
        while time.monotonic() < deadline and (child.poll() is None or _group_alive(child.pid)):
            time.sleep(0.1)
        if _group_alive(child.pid):
            print(f"serve: the {name} did not stop in {GRACE_SECONDS} s; killing it", file=sys.stderr, flush=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()

    manage = [sys.executable, str(ROOT / "manage.py")]
    commands = {
        "worker": [*manage, "db_worker", "--interval", "1"],
        "web": [*manage, "runserver", f"{args.host}:{args.port}"],
    }
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    for name, command in commands.items():
        children[name] = subprocess.Popen(command, cwd=ROOT, start_new_session=True)  # noqa: S603 — our own commands
    print(f"serve: worker pid {children['worker'].pid}, web pid {children['web'].pid}; Ctrl-C stops both", flush=True)
    code = 0
    while not stopping:
        ended = [name for name, child in children.items() if child.poll() is not None]
        if ended:
            code = children[ended[0]].returncode or 1
            print(
                f"serve: the {ended[0]} stopped (exit {children[ended[0]].returncode}); stopping the rest", flush=True
            )
            break
        time.sleep(0.2)
    _stop(children)
    print("serve: stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
