"""Import speed: `make bench-import` (PostgreSQL) or `make bench-import BENCH_ARGS="--sqlite --rows 20000"`.

Generates a fixed-seed CSV file (Windows-1250, `;`; a company, a person and a deal per row; Polish names with
diacritics; messy source spellings such as "FB", "facebook", "Facebook Ads"; some rows repeating records that exist
already; some invalid rows) into var/, then, in a database of its own (PostgreSQL: `hw_bench_import`, dropped,
created and migrated; SQLite: var/bench-import.sqlite3), through the services the wizard's pages call:

- upload:  `imports.services.import_upload` (stores the file, detects encoding, delimiter, columns, mapping);
- preview: `imports.selectors.import_preview` (step 2, the first rows) and `import_simulate` (step 5, the whole
           file read and matched as the run does, nothing written);
- run:     `imports.services.import_run` queues the job; its body (`imports.tasks.import_task`, what the worker
           runs) is then called in this process: rows/s over the whole file, dedupe and tally triggers included;
- floor:   (PostgreSQL) the records the run created, dumped with COPY TO, deleted, and loaded again with COPY FROM
           into the same tables with the tally triggers in place, in one transaction: import / floor;
- CPU:     this process's CPU seconds (time.process_time) of step 5 and of the run beside their wall times:
           Python's share, without the server's work or the wait for a core (the machine may be shared);
- memory:  the peak resident size (ru_maxrss) after a run of a tenth of the file (another account) and after the
           whole one: flat when the second is not much above the first;
- tallies: `stats.tally_drift.tally_drift` must be empty after the run and after the floor.

Writes JSON under bench/results/ and prints a short table.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import resource
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/hw_bench_import"
HEADER = ("Nazwa firmy", "NIP", "Imię", "Nazwisko", "E-mail", "Telefon", "Nazwa szansy", "Wartość", "Źródło")
FIRST = ("Zofia", "Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Wojciech", "Żaneta", "Grzegorz", "Jolanta", "Michał")
LAST = ("Nowak", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński", "Szymańska", "Dąbrowski")
WORDS = ("Żuraw", "Świt", "Łąka", "Gęś", "Źródło", "Jeżyk", "Ćma", "Mróz", "Bór", "Sęk", "Wydra", "Orzeł", "Dąb")
FORMS = ("sp. z o.o.", "S.A.", "sp.j.", "", "")
MOBILE = ("501", "602", "693", "721", "788", "880")
DEALS = ("Licencje", "Wdrożenie", "Serwis", "Szkolenie", "Audyt", "Abonament")
# Messy spellings of the file's sources -> the catalogue's source (None: no source).
SOURCES: dict[str, str | None] = {
    "FB": "Facebook Ads",
    "facebook": "Facebook Ads",
    "Facebook Ads": "Facebook Ads",
    "Google": "Google Ads",
    "google ads": "Google Ads",
    "AdWords": "Google Ads",
    "Polecenie": "Polecenia",
    "polecenia": "Polecenia",
    "LinkedIn": "LinkedIn",
    "Targi": "Targi",
    "": None,
}


def _ascii(text: str) -> str:
    """An e-mail address's letters without their Polish diacritics."""
    return unicodedata.normalize("NFKD", text.replace("ł", "l")).encode("ascii", "ignore").decode()


def _nip(rng: random.Random) -> str:
    """A valid Polish tax id (NIP: 9 digits and a weighted check digit)."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, (6, 5, 7, 2, 3, 4, 5, 6, 7), strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def write_file(path: Path, rows: int, *, seed: int = 13, duplicates: float = 0.05, invalid: float = 0.01) -> int:
    """The fixed-seed file; about `duplicates` of the rows repeat a company and person of an earlier row (the first
    1% of the rows are also imported before the measured run, so those find existing records), `invalid` have a
    value that is no amount. Returns the file's size in bytes."""
    rng = random.Random(seed)
    values = list(SOURCES)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="cp1250", newline="") as out:
        out.write(";".join(HEADER) + "\r\n")
        seen: list[tuple[str, ...]] = []
        for index in range(rows):
            if seen and rng.random() < duplicates:
                contact = rng.choice(seen)
            else:
                first, last = rng.choice(FIRST), rng.choice(LAST)
                company = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {index}"
                form = rng.choice(FORMS)
                contact = (
                    f"{company} {form}".strip(),
                    _nip(rng) if rng.random() < 0.6 else "",
                    first,
                    last,
                    _ascii(f"{first[0]}.{last}.{index}@firma{index % 977}.pl".lower()),
                    f"+48 {rng.choice(MOBILE)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
                )
                if len(seen) < 5000:
                    seen.append(contact)
            value = "abc" if rng.random() < invalid else f"{rng.randint(100, 250000)},{rng.randint(0, 99):02d} zł"
            deal = f"{rng.choice(DEALS)} {index}"
            out.write(";".join((*contact, deal, value, rng.choice(values))) + "\r\n")
    return path.stat().st_size


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 — one linear script
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true", help="use SQLite (var/bench-import.sqlite3)")
    parser.add_argument("--database-url", default=None, help=f"default: $BENCH_IMPORT_DATABASE_URL or {PG_DEFAULT}")
    parser.add_argument("--no-simulate", action="store_true", help="skip step 5's whole-file preview")
    parser.add_argument("--no-memory", action="store_true", help="skip the run of a tenth of the file first")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="write a cProfile of the run to this file (and of step 5 to its name with -preview)",
    )
    parser.add_argument(
        "--word-starts",
        action="store_true",
        help="(PostgreSQL) switch the run's account on for the word-start tables first (records/word_starts.py)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    if args.database_url:
        url = str(args.database_url)
    elif args.sqlite:
        url = f"sqlite:///{ROOT / 'var' / 'bench-import.sqlite3'}"
    else:
        url = os.environ.get("BENCH_IMPORT_DATABASE_URL", PG_DEFAULT)
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))

    from bench.run_stats import machine, recreate_database

    recreate_database(url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", interactive=False, verbosity=0)
    settings.IMPORT_FILES_DIR = ROOT / "var" / "bench-import-files"

    from headwater.imports.selectors import import_preview, import_simulate
    from headwater.stats.tally_drift import tally_drift
    from headwater.users.models import User

    vendor = connection.vendor
    var = ROOT / "var"
    big = var / f"bench-import-{args.rows}.csv"
    small = var / f"bench-import-{max(args.rows // 10, 1)}.csv"
    seed_file = var / f"bench-import-seed-{args.rows}.csv"
    print(f"Generating {args.rows:,} rows into {big.relative_to(ROOT)}...", file=sys.stderr)
    size = write_file(big, args.rows)
    write_file(small, max(args.rows // 10, 1))
    write_file(seed_file, max(args.rows // 100, 1))  # the same seed: the file's first rows, imported beforehand

    user = User.objects.create(email="importer@bench.test", full_name="Importer")

    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": vendor,
        "machine": machine(),
        "load_average_before": loadavg(),
        "rows": args.rows,
        "file_bytes": size,
        "command": "python -m bench.import_speed " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    rss_start = maxrss_mb()
    if not args.no_memory:
        print("A tenth of the file in another account (memory)...", file=sys.stderr)
        other = new_account(user, "memory")
        import_, _ = upload(user, other, small)
        choose_sources(user, other, import_)
        execute(user, other, import_)
        report["maxrss_mb_after_tenth"] = round(maxrss_mb(), 1)

    account = new_account(user, "bench")
    if args.word_starts:  # its records' word starts written by the run (and the floor) as a big account's would be
        report["word_starts"] = switch_word_starts_on(account)
    seed_import, _ = upload(user, account, seed_file)
    choose_sources(user, account, seed_import)
    execute(user, account, seed_import)

    print("Upload, preview...", file=sys.stderr)
    import_, report["upload_s"] = upload(user, account, big)
    choose_sources(user, account, import_)
    started = time.perf_counter()
    detected = import_preview(import_=import_)
    report["preview_step2_s"] = round(time.perf_counter() - started, 3)
    report["detected"] = {"encoding": detected.settings().get("encoding"), "columns": len(detected.columns)}
    if not args.no_simulate:
        started, cpu = time.perf_counter(), time.process_time()
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            simulated = profiler.runcall(import_simulate, import_=import_)
            profiler.dump_stats(str(args.profile.with_name(f"{args.profile.stem}-preview{args.profile.suffix}")))
        else:
            simulated = import_simulate(import_=import_)
        report["preview_step5_s"] = round(time.perf_counter() - started, 3)
        report["preview_step5_cpu_s"] = round(time.process_time() - cpu, 3)
        report["preview_step5_rows"] = simulated.rows
        report["problems_sample"] = [str(problem) for problem in simulated.problems[:5]]
    print("The run...", file=sys.stderr)
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        run_s = execute(user, account, import_)
        profiler.disable()
        profiler.dump_stats(str(args.profile))
    else:
        run_s = execute(user, account, import_)
    report["upload_s"] = round(report["upload_s"], 3)
    report["run_s"] = round(run_s, 3)
    report["run_cpu_s"] = round(LAST_CPU["run"], 3)
    report["rows_per_s"] = round(args.rows / run_s)
    report["results"] = import_.results
    report["maxrss_mb_after_whole"] = round(maxrss_mb(), 1)
    report["maxrss_mb_at_start"] = round(rss_start, 1)
    drift = tally_drift(account_ids=[account.pk])
    report["tallies_exact_after_run"] = drift == {}

    if vendor == "postgresql":
        print("The floor: COPY of the same records...", file=sys.stderr)
        report["floor"] = copy_floor(connection, transaction, import_.pk)
        report["import_over_floor"] = round(run_s / report["floor"]["copy_s"], 2)
        floor_committed = report["floor"]["copy_s"] + report["floor"]["link_checks_s"]
        report["import_over_floor_with_link_checks"] = round(run_s / floor_committed, 2)
        report["tallies_exact_after_floor"] = tally_drift(account_ids=[account.pk]) == {}
    report["load_average_after"] = loadavg()

    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"import-speed-{vendor}-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print_table(report)
    print(f"\nWritten to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if not report["tallies_exact_after_run"] or report.get("tallies_exact_after_floor") is False:
        print("THE TALLIES DRIFTED", file=sys.stderr)
        return 1
    return 0


# --- Through the services the wizard's pages call (Django configured) ----------------------------------------


def switch_word_starts_on(account: Any) -> bool:
    from headwater.companies.models import Company
    from headwater.persons.models import Person
    from headwater.records.word_starts import has_table, word_starts_enable

    models = [model for model in (Person, Company) if has_table(model)]
    for model in models:
        word_starts_enable(model, account.pk)
    return bool(models)


def new_account(user: Any, slug: str) -> Any:
    """An account with sources switched on, `user` its admin, and the catalogue's sources the file's values mean."""
    from headwater.core.models import Account
    from headwater.sources.services import source_create
    from headwater.users.models import Membership, Role

    account = Account.objects.create(name=slug, slug=slug, currency="PLN", time_zone="Europe/Warsaw")
    account.sources_enabled = True
    account.save()
    Membership.unscoped.create(account=account, user=user, role=Role.ADMIN)
    for name in sorted({s for s in SOURCES.values() if s}):
        source_create(account=account, user=user, name=name)
    return account


def upload(user: Any, account: Any, path: Path) -> tuple[Any, float]:
    """Step 1: `import_upload` (stores the file, detects its encoding, delimiter and columns); seconds taken."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from headwater.imports.services import import_upload

    started = time.perf_counter()
    file = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
    import_, _detected = import_upload(account=account, user=user, upload=file)
    return import_, time.perf_counter() - started


def choose_sources(user: Any, account: Any, import_: Any) -> None:
    """Step 3: each spelling of the file's sources mapped to the catalogue's source it means."""
    from headwater.imports.selectors import import_source_matches
    from headwater.imports.services import import_update_sources
    from headwater.sources.models import Source

    by_name = {s.name: s.pk for s in Source.objects.for_account(account)}
    choices = {}
    for match in import_source_matches(account=account, import_=import_):
        target = SOURCES.get(match.value)
        choices[match.value] = (str(by_name[target]), "") if target else ("none", "")
    import_update_sources(account=account, user=user, import_=import_, choices=choices)


def execute(user: Any, account: Any, import_: Any) -> float:
    """Step 6: import_run queues the job (in its transaction); the job's body then runs here, as the worker would
    run it. Seconds taken by the body."""
    from headwater.imports.models import ImportState
    from headwater.imports.services import import_run
    from headwater.imports.tasks import import_task
    from headwater.jobs.models import Job, JobState

    job = import_run(account=account, user=user, import_=import_)
    started, cpu = time.perf_counter(), time.process_time()
    import_task.func(job_id=job.pk, import_id=import_.pk)
    elapsed = time.perf_counter() - started
    LAST_CPU["run"] = time.process_time() - cpu
    job = Job.unscoped.get(pk=job.pk)
    import_.refresh_from_db()
    if job.state != JobState.DONE or import_.state != ImportState.DONE:
        raise SystemExit(f"the run failed: {job.error}")
    return elapsed


# This process's CPU seconds (time.process_time) of the last run: Python's share, without the database server's
# work and without waiting for the cores (the machine is shared; wall times move with the load).
LAST_CPU: dict[str, float] = {}

FLOOR_TABLES = ("companies_company", "persons_person", "deals_deal")


def copy_floor(connection: Any, transaction: Any, import_id: int) -> dict[str, Any]:
    """The records the import created, dumped (COPY TO), deleted and COPY'd back into the same tables with the
    tally triggers firing, in one transaction: the time of the COPY FROM of the three tables. Their word starts
    (PostgreSQL: records/word_starts.py) are written as the import writes them: one statement after each COPY."""
    from django.apps import apps

    from headwater.records.word_starts import has_table, table_of, written_in_bulk

    models = {model._meta.db_table: model for model in apps.get_models()}
    dumps: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    ids: dict[str, list[int]] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        for table in FLOOR_TABLES:
            buffer = io.BytesIO()
            with raw.copy(f"COPY (SELECT * FROM {table} WHERE origin_import_id = {int(import_id)}) TO STDOUT") as copy:
                for block in copy:
                    buffer.write(block)
            dumps[table] = buffer.getvalue()
            counts[table] = dumps[table].count(b"\n")
            cursor.execute(f"SELECT id FROM {table} WHERE origin_import_id = %s", [import_id])
            ids[table] = [pk for (pk,) in cursor.fetchall()]
        # The DELETE without triggers (replica mode: no row-by-row deferred foreign-key checks, which took minutes
        # at 100,000 rows), then the account's tallies recomputed from what is left: the COPY starts from exact ones.
        cursor.execute("SET LOCAL session_replication_role = replica")
        for table in reversed(FLOOR_TABLES):  # deals point at persons and companies; persons at companies
            cursor.execute(f"DELETE FROM {table} WHERE origin_import_id = %s", [import_id])
            if has_table(models[table]):  # their word starts too: the triggers did not run
                cursor.execute(f"DELETE FROM {table_of(models[table])} WHERE id = ANY(%s)", [ids[table]])
        cursor.execute("SET LOCAL session_replication_role = origin")
    from headwater.imports.models import Import
    from headwater.stats.services import tallies_rebuild

    account_id = Import.unscoped.values_list("account_id", flat=True).get(pk=import_id)
    tallies_rebuild(account_ids=[account_id])
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        started = time.perf_counter()
        for table in FLOOR_TABLES:
            bulk = written_in_bulk(models[table], ids[table], account_id=account_id)
            with bulk, raw.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dumps[table])
        elapsed = time.perf_counter() - started
        # The foreign keys are checked at COMMIT (Django makes them DEFERRABLE INITIALLY DEFERRED), one query per
        # key of every row: the run's time holds its own COMMIT, the floor's `copy_s` not. Timed apart here.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        checks = time.perf_counter() - started - elapsed
    return {"copy_s": round(elapsed, 3), "link_checks_s": round(checks, 3), "records": counts}


def print_table(report: dict[str, Any]) -> None:
    print(
        f"{report['database']}, {report['rows']:,} rows ({report['file_bytes'] / 1e6:.1f} MB), "
        f"load {report['load_average_before']}"
    )
    print("| measure | figure |")
    print("|---|---:|")
    print(f"| upload and detect | {report['upload_s']:.2f} s |")
    print(f"| preview, step 2 (first rows) | {report['preview_step2_s']:.2f} s |")
    if "preview_step5_s" in report:
        print(
            f"| preview, step 5 (whole file, nothing written) | {report['preview_step5_s']:.2f} s "
            f"(CPU of this process {report['preview_step5_cpu_s']:.2f} s) |"
        )
    print(
        f"| the run | {report['run_s']:.2f} s, {report['rows_per_s']:,} rows/s "
        f"(CPU of this process {report['run_cpu_s']:.2f} s) |"
    )
    if "floor" in report:
        print(f"| floor: COPY of the same records | {report['floor']['copy_s']:.2f} s |")
        print(f"| import / floor | {report['import_over_floor']:.2f} |")
        print(
            f"| the floor's foreign-key checks (at its COMMIT; the run's time holds its own) | "
            f"{report['floor']['link_checks_s']:.2f} s |"
        )
        print(f"| import / (floor + its foreign-key checks) | {report['import_over_floor_with_link_checks']:.2f} |")
    if "maxrss_mb_after_tenth" in report:
        print(
            f"| peak RSS after a tenth / the whole file | {report['maxrss_mb_after_tenth']:.0f} MB / "
            f"{report['maxrss_mb_after_whole']:.0f} MB |"
        )
    print(f"| tallies exact | {report['tallies_exact_after_run']} / {report.get('tallies_exact_after_floor', '-')} |")


if __name__ == "__main__":
    raise SystemExit(main())
