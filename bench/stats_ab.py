"""The Statistics page's CPU per request, two checkouts of the code side by side, request by request (A/B).

    BENCH_DATABASE_URL=postgres://... python -m bench.stats_ab --a DIR_OF_MAIN [--rounds 40]

A and B (default: this checkout) each serve in a process of their own (this file, `--serve DIR`: the code of DIR,
bench.settings, Django's test client logged in as the benchmark's user, inside a transaction rolled back at the end:
nothing is written). This process asks them in turn for the same page, alternating which goes first, so the load of
the machine falls on both alike, and reports the median CPU milliseconds of each (`time.process_time` around the
request: the database's own time is not in it), the wall time of its queries (`execute_wrapper`: what it waits for
the database) and the median of the per-round CPU differences. After a warm-up, each
server collects and freezes its heap as config.wsgi does (headwater/core/gc_warm.py), so the figures are a warm
gunicorn worker's. Then the parts of B's page that load when opened (stats/part_views.py), alone: the first
source's campaigns and each trend chart's figures, as htmx asks for them.

A tree of main to compare with: `git archive main | tar -x -C DIR` (DIR needs no environment of its own).
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import html
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "page big, all time": "/a/big/stats/sources/",
    "page typical, all time": "/a/typical/stats/sources/",
    "page big, 6 months compared": "/a/big/stats/sources/?period=custom&start=2026-05-01&end=2026-10-31&compare=true",
    "page big, 90 days mid-month": "/a/big/stats/sources/?period=custom&start=2026-07-17&end=2026-10-14",
}
# The parts of a page that load when opened: each <details>' htmx request.
PART_HOOK = re.compile(r'<details [^>]*hx-get="([^"]+)"')


def serve(root: Path, name: str) -> None:
    """One side: read a path per line, answer a line of JSON (CPU ms, status, bytes); "freeze" freezes the heap.
    Each side logs in as a user of its own, made in its transaction: two uncommitted inserts of one address would
    wait for each other."""
    sys.path[0] = str(root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import gc

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from headwater.core.models import Account
    from headwater.users.models import Membership, Role, User

    # The wall time of each query (sent, waited for, read): what the request waits for the database, beside its CPU.
    waited: list[float] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waited.append(time.perf_counter() - started)

    with transaction.atomic():
        user, _ = User.objects.get_or_create(email=f"bench-{name.lower()}@bench.test", defaults={"full_name": name})
        if not user.email_confirmed:
            user.email_confirmed_at = timezone.now()
            user.save(update_fields=["email_confirmed_at"])
        for slug in ("big", "typical"):
            account = Account.objects.get(slug=slug)
            Membership.unscoped.get_or_create(account=account, user=user, defaults={"role": Role.ADMIN})
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            if command["path"] == "freeze":
                gc.collect()
                gc.freeze()
                print(json.dumps({"frozen": True}), flush=True)
                continue
            headers = {"HX-Request": "true"} if command.get("htmx") else {}
            waited.clear()
            started = time.process_time()
            with connection.execute_wrapper(timed):
                response = client.get(command["path"], headers=headers)
            cpu = (time.process_time() - started) * 1000
            body = response.content.decode() if command.get("body") else ""
            answer = {
                "cpu": cpu,
                "db": sum(waited) * 1000,
                "queries": len(waited),
                "status": response.status_code,
                "bytes": len(response.content),
                "body": body,
            }
            print(json.dumps(answer), flush=True)
        transaction.set_rollback(True)


class Side:
    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        command = [sys.executable, str(Path(__file__).resolve()), "--serve", str(root), "--side", name]
        self.process = subprocess.Popen(  # noqa: S603 — our own fixed command line
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root
        )
        self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None  # noqa: S101 — opened with a pipe above
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"{self.name}: the server stopped")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def get(self, path: str, *, htmx: bool = False, body: bool = False) -> dict[str, Any]:
        assert self.process.stdin is not None  # noqa: S101 — opened with a pipe above
        self.process.stdin.write(json.dumps({"path": path, "htmx": htmx, "body": body}) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if "status" in answer and answer["status"] != 200:
            raise SystemExit(f"{self.name}: {path} answered {answer['status']}")
        return answer

    def close(self) -> None:
        assert self.process.stdin is not None  # noqa: S101 — opened with a pipe above
        self.process.stdin.close()
        self.process.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=Path, help="the code to compare with (a tree of main)")
    parser.add_argument("--b", type=Path, default=ROOT, help="the code measured (default: this checkout)")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--side", default="A", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.side)
        return
    if args.a is None:
        parser.error("--a is required")
    load_before = os.getloadavg()
    a, b = Side("A", args.a), Side("B", args.b)
    try:
        report = _measure(a, b, args.rounds, args.warmup)
    finally:
        a.close()
        b.close()
    report["load"] = {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(report, indent=2))


def _measure(a: Side, b: Side, rounds: int, warmup: int) -> dict[str, Any]:
    # The parts B's page loads when opened: the first source's campaigns, each trend chart's figures.
    parts: dict[str, str] = {}
    for name, path in PAGES.items():
        hooks = [html.unescape(h) for h in PART_HOOK.findall(b.get(path, body=True)["body"])]
        campaigns = [h for h in hooks if "/campaigns/" in h]
        for hook in [*campaigns[:1], *(h for h in hooks if "/trend-figures/" in h)]:
            kind = "campaigns of the first source" if "/campaigns/" in hook else hook.rsplit("figures=", 1)[1]
            parts[f"part of {name}: {kind}"] = hook
    for _ in range(warmup):
        for path in PAGES.values():
            a.get(path)
            b.get(path)
        for hook in parts.values():
            b.get(hook, htmx=True)
    a.get("freeze")
    b.get("freeze")
    pages: dict[str, dict[str, list[float]]] = {
        name: {"A": [], "B": [], "bytes A": [], "bytes B": [], "db A": [], "db B": [], "queries A": [], "queries B": []}
        for name in PAGES
    }
    alone: dict[str, list[float]] = {name: [] for name in parts}
    alone_db: dict[str, list[float]] = {name: [] for name in parts}
    sizes: dict[str, int] = {}
    for number in range(rounds):
        for name, path in PAGES.items():
            order = (a, b) if number % 2 == 0 else (b, a)
            for side in order:
                answer = side.get(path)
                pages[name][side.name].append(answer["cpu"])
                for figure in ("bytes", "db", "queries"):
                    pages[name][f"{figure} {side.name}"].append(answer[figure])
        for name, hook in parts.items():
            answer = b.get(hook, htmx=True)
            alone[name].append(answer["cpu"])
            alone_db[name].append(answer["db"])
            sizes[name] = answer["bytes"]
    result: dict[str, Any] = {"rounds": rounds, "pages": {}, "parts (B only)": {}}
    for name, samples in pages.items():
        differences = [y - x for x, y in zip(samples["A"], samples["B"], strict=True)]
        result["pages"][name] = {
            "cpu_ms_A": round(statistics.median(samples["A"]), 2),
            "cpu_ms_B": round(statistics.median(samples["B"]), 2),
            "median_difference_ms": round(statistics.median(differences), 2),
            "db_ms_A": round(statistics.median(samples["db A"]), 2),
            "db_ms_B": round(statistics.median(samples["db B"]), 2),
            "queries_A": int(statistics.median(samples["queries A"])),
            "queries_B": int(statistics.median(samples["queries B"])),
            "bytes_A": int(statistics.median(samples["bytes A"])),
            "bytes_B": int(statistics.median(samples["bytes B"])),
        }
    for name, cpu in alone.items():
        result["parts (B only)"][name] = {
            "cpu_ms": round(statistics.median(cpu), 2),
            "db_ms": round(statistics.median(alone_db[name]), 2),
            "bytes": sizes[name],
        }
    return result


if __name__ == "__main__":
    main()
