"""Search on the record lists at scale: load ~1M deals into one account (plus other accounts' rows), then time it.

Runs against a private PostgreSQL database (never the development one):

    createdb -h 127.0.0.1 -U postgres hw_search_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/hw_search_bench
    uv run python manage.py migrate
    uv run python bench/search_lists.py load      # COPY, about 2.4M records in 4 accounts, a few minutes
    uv run python bench/search_lists.py measure   # median of 5 runs per search, first page + bounded count
    uv run python bench/search_lists.py explain "żuławski"
    dropdb -h 127.0.0.1 -U postgres hw_search_bench

The data is generated from a fixed seed with the demo's Polish vocabulary. A few rare names are planted so that
"rare term" searches have a known, small answer. Results: docs/performance.md, "Record lists".
"""

from __future__ import annotations

# Django and the models are imported after django.setup() below: the models need the settings first.
# ruff: noqa: E402
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from headwater.companies.models import Company
from headwater.companies.selectors import company_page
from headwater.core.models import Account
from headwater.core.pagination import ordering_from_param
from headwater.deals.models import Deal
from headwater.deals.selectors import DEAL_DEFAULT_SORT, DEAL_SORTS, DealFilters, deal_page
from headwater.demo import loader as demo
from headwater.persons.models import Person
from headwater.persons.selectors import PERSON_DEFAULT_SORT, PERSON_SORTS, PersonFilters, person_page
from headwater.records.listing import RecordFilters
from headwater.users.models import User
from headwater.users.services import account_create

SEED = 4242
# (slug, companies, persons, deals): one big account and three others whose rows the searches must skip.
ACCOUNTS = [
    ("bench-big", 50_000, 200_000, 1_000_000),
    ("bench-b", 10_000, 40_000, 250_000),
    ("bench-c", 10_000, 40_000, 250_000),
    ("bench-d", 1_000, 4_000, 20_000),
]
# Rare names planted in the big account: (company name, persons, deals).
PLANTED: list[tuple[str, int, int]] = [("Kamieniarstwo Żuławski i Córki", 3, 12), ("Wiśniewska Ogrody Ostrołęka", 2, 5)]

HAS_KEY = any(f.name == "search_key" for f in Deal._meta.get_fields())


def _key(kind: str, **parts: Any) -> str:
    from headwater.records import search  # noqa: PLC0415 — exists only once the search key does

    builder: Callable[..., str] = getattr(search, f"{kind}_search_key")
    return builder(**parts)


def _copy(model: type[models.Model], columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    """Stream rows into the table with COPY, 50,000 at a time."""
    table = model._meta.db_table
    buffer: list[tuple[Any, ...]] = []

    def flush() -> None:
        if not buffer:
            return
        with connection.cursor() as cursor:
            raw: Any = cursor.connection  # the psycopg connection
            with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in buffer:
                    copy.write_row(row)
        buffer.clear()

    for row in rows:
        buffer.append(row)
        if len(buffer) >= 50_000:
            flush()
    flush()


def _next_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` ids from the table's sequence, so the rows can reference each other before COPY."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)",
            [count],
        )
        return [r[0] for r in cursor.fetchall()]


def _company_name(rng: random.Random) -> tuple[str, str]:
    city = rng.choice(demo.CITIES)[0]
    stem, ending = rng.choice(demo.NAME_STEMS), rng.choice(demo.NAME_ENDINGS)
    base = rng.choice(demo.NAME_PATTERNS).format(
        stem=stem,
        ending=ending,
        Ending=ending.capitalize(),
        Stem2=rng.choice(["Produkcyjny", "Usługowy", "Handlowy", "Remontowy"]),
        surname=rng.choice(demo.SURNAMES),
        city=city,
    )
    return f"{base} {rng.choice(['sp. z o.o.', 'S.A.', 's.c.', 'sp.j.', ''])}".strip(), city


@dataclass
class _Load:
    """What one account's loader shares between its tables."""

    account: Account
    rng: random.Random
    now: datetime
    companies: list[tuple[int, str]] = field(default_factory=list)
    persons: list[tuple[int, str, int | None]] = field(default_factory=list)


def _load_companies(ctx: _Load, count: int, planted: list[tuple[str, int, int]]) -> None:
    rows = []
    for i, pk in enumerate(_next_ids(Company, count + len(planted))):
        name, city = (planted[i][0], "Ostrołęka") if i < len(planted) else _company_name(ctx.rng)
        tax_id, phone = demo._nip(ctx.rng), demo._mobile(ctx.rng)
        email = f"biuro@{demo._domain_slug(name)[:30]}.pl"
        website = f"https://www.{demo._domain_slug(name)[:30]}.pl"
        created = ctx.now - timedelta(days=ctx.rng.uniform(0, 800))
        row = [pk, ctx.account.pk, name, tax_id, website, email, phone, "ul. Polna 1", "00-001", city, "Polska"]
        row += ["", 1, created, created]
        if HAS_KEY:
            row.append(_key("company", name=name, tax_id=tax_id, email=email, phone=phone, city=city, website=website))
        rows.append(tuple(row))
        ctx.companies.append((pk, name))
    columns = ["id", "account_id", "name", "tax_id", "website", "email", "phone", "street", "postal_code"]
    columns += ["city", "country", "notes", "version", "created_at", "updated_at"]
    _copy(Company, columns + (["search_key"] if HAS_KEY else []), iter(rows))


def _load_persons(ctx: _Load, count: int, planted: list[tuple[str, int, int]]) -> None:
    rng = ctx.rng
    # The planted companies come first in ctx.companies; their persons come first here.
    planted_persons = [ctx.companies[i] for i, (_, n, _) in enumerate(planted) for _ in range(n)]

    def rows() -> Iterator[tuple[Any, ...]]:
        for i, pk in enumerate(_next_ids(Person, count + len(planted_persons))):
            female = rng.random() < 0.48
            first = rng.choice(demo.FEMALE_FIRST if female else demo.MALE_FIRST)
            surname = rng.choice(demo.SURNAMES)
            last = demo._female(surname) if female else surname
            company: tuple[int, str] | None = planted_persons[i] if i < len(planted_persons) else None
            if company is None and rng.random() < 0.86:
                company = rng.choice(ctx.companies)
            email = f"{demo._domain_slug(first)}.{demo._domain_slug(last)}{i}@example.pl"
            phone, position = demo._mobile(rng), rng.choice(demo.POSITIONS)
            created = ctx.now - timedelta(days=rng.uniform(0, 700))
            company_id, company_name = company if company else (None, "")
            ctx.persons.append((pk, f"{first} {last}", company_id))
            row = [pk, ctx.account.pk, first, last, email, phone, position, company_id, "", 1, created, created]
            if HAS_KEY:
                parts = {"first_name": first, "last_name": last, "email": email, "phone": phone}
                row.append(_key("person", **parts, position=position, company_name=company_name))
            yield tuple(row)

    columns = ["id", "account_id", "first_name", "last_name", "email", "phone", "position", "company_id"]
    columns += ["notes", "version", "created_at", "updated_at"]
    _copy(Person, columns + (["search_key"] if HAS_KEY else []), rows())


def _load_deals(ctx: _Load, count: int, planted: list[tuple[str, int, int]]) -> None:
    rng = ctx.rng
    planted_deals = [ctx.companies[i] for i, (_, _, n) in enumerate(planted) for _ in range(n)]
    staff: dict[int, list[tuple[int, str]]] = {}
    for pk, name, company_id in ctx.persons:
        if company_id is not None:
            staff.setdefault(company_id, []).append((pk, name))

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(count + len(planted_deals)):
            company: tuple[int, str] | None = planted_deals[i] if i < len(planted_deals) else None
            if company is None and rng.random() < 0.9:
                company = rng.choice(ctx.companies)
            person = None
            if company is not None and staff.get(company[0]) and rng.random() < 0.7:
                person = rng.choice(staff[company[0]])
            client = company[1] if company else "klient indywidualny"
            name = f"{rng.choice(demo.DEAL_TOPICS)} {demo.DASH} {client}"[:200]
            created = ctx.now - timedelta(days=rng.uniform(0, 730), seconds=rng.randint(0, 86_399))
            value = f"{rng.randint(15, 9000) * 100}.00"
            row: list[Any] = [ctx.account.pk, name, value, "PLN", "open", company and company[0], person and person[0]]
            row += ["", "", 1, created, created]
            if HAS_KEY:
                names = {"company_name": company[1] if company else "", "person_name": person[1] if person else ""}
                row.append(_key("deal", name=name, **names))
            yield tuple(row)

    columns = ["account_id", "name", "value", "currency", "status", "company_id", "person_id", "lost_reason"]
    columns += ["notes", "version", "created_at", "updated_at"]
    _copy(Deal, columns + (["search_key"] if HAS_KEY else []), rows())


def load_account(*, slug: str, sizes: tuple[int, int, int], owner: User, rng: random.Random) -> None:
    account = account_create(name=slug, slug=slug, currency="PLN", language="pl", owner=owner)
    ctx = _Load(account=account, rng=rng, now=timezone.now())
    planted = PLANTED if slug == "bench-big" else []
    _load_companies(ctx, sizes[0], planted)
    _load_persons(ctx, sizes[1], planted)
    _load_deals(ctx, sizes[2], planted)


def load() -> None:
    if connection.vendor != "postgresql":
        sys.exit("The search benchmark needs PostgreSQL (DATABASE_URL=postgres://...).")
    rng = random.Random(SEED)
    owner = User.objects.filter(email="bench@example.test").first() or User.objects.create_user(
        email="bench@example.test", password=None, full_name="Bench"
    )
    for slug, n_companies, n_persons, n_deals in ACCOUNTS:
        if Account.objects.filter(slug=slug).exists():
            print(f"{slug}: already loaded")
            continue
        started = time.perf_counter()
        with transaction.atomic():
            load_account(slug=slug, sizes=(n_companies, n_persons, n_deals), owner=owner, rng=rng)
        print(f"{slug}: {n_companies:,} companies, {n_persons:,} persons, {n_deals:,} deals "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


SEARCHES = [
    ("deals", "żuławski", "rare (28 deals)"),
    ("deals", "ŻUŁAWSKI umowa", "rare, two words, no match"),
    ("deals", "ostrołęka", "rare city in company name"),
    ("deals", "wdrożenie", "common (1 in 20)"),
    ("deals", "kowalska", "common person name"),
    ("deals", "licencje nowak", "two common words"),
    ("deals", "sp.", "very common, short word"),
    ("deals", "qzxv", "no match"),
    ("deals", "zx", "2 characters, no match"),
    ("deals", "po", "2 characters, common"),
    ("deals", "zx wdrożenie", "2 characters + common word"),
    ("persons", "wiśniewska", "common surname"),
    ("persons", "żuławski", "by company name, rare"),
    ("persons", "qzxv", "no match"),
    ("companies", "ostrołęka", "rare city"),
    ("companies", "qzxv", "no match"),
    ("deals@bench-d", "wdrożenie", "small account (20k deals)"),
    ("deals@bench-d", "qzxv", "small account, no match"),
]


def _page_reader(kind: str, account: Account, q: str) -> Callable[[], Any]:
    size, limit = settings.LIST_PAGE_SIZE, settings.LIST_COUNT_LIMIT
    if kind == "deals":
        _, ordering = ordering_from_param(None, DEAL_SORTS, DEAL_DEFAULT_SORT)
        return lambda: deal_page(
            account=account, filters=DealFilters(q=q), ordering=ordering, cursor=None, page_size=size, count_limit=limit
        )
    if kind == "persons":
        _, ordering = ordering_from_param(None, PERSON_SORTS, PERSON_DEFAULT_SORT)
        return lambda: person_page(
            account=account,
            filters=PersonFilters(q=q),
            ordering=ordering,
            cursor=None,
            page_size=size,
            count_limit=limit,
        )
    _, ordering = ordering_from_param(None, {"name": ("name",)}, "name")
    return lambda: company_page(
        account=account, filters=RecordFilters(q=q), ordering=ordering, cursor=None, page_size=size, count_limit=limit
    )


def measure() -> None:
    print(f"search key column: {'yes' if HAS_KEY else 'no'}")
    print(f"{'list':<14} {'search':<18} {'what':<28} {'rows':>7} {'median ms':>10} {'max ms':>8}")
    for target, q, what in SEARCHES:
        kind, _, slug = target.partition("@")
        account = Account.objects.get(slug=slug or "bench-big")
        read = _page_reader(kind, account, q)
        page = read()  # warm the cache: the figures are for a warm database
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            page = read()
            timings.append((time.perf_counter() - started) * 1000)
        total = f"{page.total:,}" if page.total is not None else ">10k"
        print(f"{target:<14} {q:<18} {what:<28} {total:>7} {statistics.median(timings):>10.1f} {max(timings):>8.1f}")


def explain(q: str, slug: str = "bench-big") -> None:
    account = Account.objects.get(slug=slug)
    _, ordering = ordering_from_param(None, DEAL_SORTS, DEAL_DEFAULT_SORT)
    from headwater.deals.selectors import deal_list  # noqa: PLC0415 — only this diagnostic needs it

    qs = deal_list(account=account, filters=DealFilters(q=q)).select_related("owner", "source", "company", "person")
    print(qs.order_by(*ordering.order_by(qs.model))[:26].explain(analyze=True, buffers=True))
    print(qs.order_by().values("pk")[: settings.LIST_COUNT_LIMIT + 1].explain(analyze=True, buffers=True))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "measure"
    if command == "load":
        load()
    elif command == "measure":
        measure()
    elif command == "explain":
        explain(*sys.argv[2:4])
    else:
        sys.exit(__doc__)
