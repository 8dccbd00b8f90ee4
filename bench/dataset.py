"""The statistics benchmark's data set: fixed seed, one big account and 99 smaller ones sharing the tables.

At scale 1: the big account has 1,000,000 deals, 1,000,000 persons, 200,000 companies, 15 sources with skewed
shares (one archived) and 20 owners over 3 years; 99 smaller accounts add 4,000,000 deals (one of them the
"typical" account with 25,000), with persons and companies in proportion. Every count scales with `scale`.

Every account has the shipped channels (as a new account gets them) and its sources under them; each paid source
(PAID_SOURCES) runs 2 to 6 campaigns one after the other over the three years (the older ones partly archived, most
with a budget), and about 35 % of the companies, persons and deals of a paid source carry the campaign running when
they were created. The spend ledger holds, per paid source and month, one entry on the source and one on its running
campaign, sized to the source's share of the account's deals; most in PLN, some in EUR and USD (with a rate), a few
in GBP (without one). Campaigns and spend do not grow with `scale` beyond the amounts.

Rows are generated as tuples (ids assigned here, so the loaders can use COPY without RETURNING) and loaded with
COPY on PostgreSQL, or executemany on SQLite, with the spend ledger. The small tables (accounts, users,
memberships, channels, sources, campaigns, rates) go through the ORM.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

SEED = 20261127
ZONE_NAME = "Europe/Warsaw"
ZONE = ZoneInfo(ZONE_NAME)
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
START = END - dt.timedelta(days=3 * 365 + 1)
SPAN_SECONDS = int((END - START).total_seconds())
BIG_SOURCES = [
    "Website",
    "Referral",
    "Google Ads",
    "Trade fair",
    "Cold call",
    "LinkedIn",
    "Partner",
    "E-mail campaign",
    "Webinar",
    "Facebook",
    "Conference",
    "Print ad",
    "Radio",
    "Marketplace",
    "Other",
]
SMALL_SOURCES = BIG_SOURCES[:9]
# Each source's channel (channels.models.DEFAULT_CHANNELS key); "Cold call" has none, so "No channel" shows too.
SOURCE_CHANNELS = {
    "Website": "organic_search",
    "Referral": "referral",
    "Google Ads": "paid_search",
    "Trade fair": "events",
    "LinkedIn": "paid_social",
    "Partner": "referral",
    "E-mail campaign": "email",
    "Webinar": "events",
    "Facebook": "paid_social",
    "Conference": "events",
    "Print ad": "other",
    "Radio": "other",
    "Marketplace": "direct",
    "Other": "other",
}
# The sources that cost money: they run campaigns and have spend (5 of a small account's 9, 8 of the big one's 15).
PAID_SOURCES = ("Google Ads", "Trade fair", "LinkedIn", "E-mail campaign", "Webinar", "Facebook", "Print ad", "Radio")
CAMPAIGN_SHARE = 0.35  # of a paid source's records, those carrying a campaign
# A paid source's monthly spend per deal it brings that month (PLN), and the part of a month's spend that goes on the
# running campaign (the rest is booked on the source itself).
SPEND_PER_DEAL = 1200.0
CAMPAIGN_SPEND_SHARE = 0.6
# The spend ledger's currencies; GBP has no rate, so some spend is shown apart ("currencies without a rate").
SPEND_CURRENCIES = (("PLN", 0.86), ("EUR", 0.08), ("USD", 0.04), ("GBP", 0.02))
GBP_FOR_AMOUNTS = Decimal("5.0")  # only to size GBP amounts; no rate is stored
RATES = {"EUR": Decimal("4.2712"), "USD": Decimal("3.9421")}
# GBP deliberately has no rate: those deals are counted and shown apart.
CURRENCIES = (("PLN", 0.85), ("EUR", 0.09), ("USD", 0.05), ("GBP", 0.01))
FIRST_NAMES = ["Anna", "Piotr", "Maria", "Jan", "Katarzyna", "Tomasz", "Agnieszka", "Paweł", "Ewa", "Marek"]
LAST_NAMES = [
    f"{stem}{suffix}"
    for stem in ("Nowak", "Kowal", "Wiśniew", "Wójci", "Kamiń", "Lewandow")
    for suffix in ("ski", "ska", "czyk", "ek")
]


@dataclass(frozen=True)
class AccountPlan:
    slug: str
    deals: int
    persons: int
    companies: int
    sources: list[str]
    archived_source: str | None
    owners: int
    role: str  # "big", "typical" or "small"


@dataclass
class Dataset:
    """What was created: ids the benchmark needs afterwards."""

    scale: float
    accounts: dict[str, int] = field(default_factory=dict)  # slug -> id
    owners: dict[str, list[int]] = field(default_factory=dict)  # slug -> user ids
    sources: dict[str, list[int]] = field(default_factory=dict)  # slug -> source ids (catalogue order)
    # slug -> {paid source id: (start offsets in seconds after START, campaign ids)}, campaigns in time order
    campaigns: dict[str, dict[int, tuple[list[int], list[int]]]] = field(default_factory=dict)
    # The spend ledger's rows (SPEND_COLUMNS), written with the records by the loaders (COPY or executemany)
    spend: list[tuple[Any, ...]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    load_seconds: float = 0.0


def plan(scale: float) -> list[AccountPlan]:
    def n(value: float) -> int:
        return max(1, round(value * scale))

    big = AccountPlan("big", n(1_000_000), n(1_000_000), n(200_000), BIG_SOURCES, "Print ad", 20, "big")
    typical_deals = n(25_000)
    accounts = [big, _small("typical", typical_deals, "typical")]
    # 98 more accounts share the rest with a skewed size distribution (a few large, many small).
    rest = max(98, n(4_000_000) - typical_deals)
    weights = [1 / (i + 4) ** 0.9 for i in range(98)]
    total = sum(weights)
    sizes = [max(1, math.floor(rest * w / total)) for w in weights]
    sizes[0] += rest - sum(sizes)
    accounts += [_small(f"small-{i:02d}", size, "small") for i, size in enumerate(sizes, start=1)]
    return accounts


def _small(slug: str, deals: int, role: str) -> AccountPlan:
    return AccountPlan(slug, deals, max(1, deals * 3 // 10), max(1, deals * 6 // 100), SMALL_SOURCES, None, 3, role)


class Progress:
    """A one-line progress bar on stderr (no dependency)."""

    def __init__(self, label: str, total: int, unit: str = "rows") -> None:
        self.label, self.total, self.done, self.unit = label, max(total, 1), 0, unit
        self.started = self.last = time.perf_counter()

    def add(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if now - self.last > 0.25 or self.done >= self.total:
            self.last = now
            width = 30
            filled = int(width * self.done / self.total)
            rate = self.done / max(now - self.started, 1e-9)
            sys.stderr.write(
                f"\r  {self.label:<10} [{'#' * filled}{'.' * (width - filled)}] {self.done:>10,}/{self.total:,} "
                f"{rate:>9,.1f} {self.unit}/s"
            )
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


# --- Row generators -----------------------------------------------------------------------------------------

# Column order of the COPY / INSERT statements below.
COMPANY_COLUMNS = (
    "id",
    "account_id",
    "name",
    "tax_id",
    "website",
    "email",
    "phone",
    "street",
    "postal_code",
    "city",
    "country",
    "notes",
    "version",
    "created_at",
    "updated_at",
    "owner_id",
    "source_id",
    "created_by_id",
    "search_key",
    "campaign_id",
)
PERSON_COLUMNS = (
    "id",
    "account_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "position",
    "company_id",
    "notes",
    "version",
    "created_at",
    "updated_at",
    "owner_id",
    "source_id",
    "created_by_id",
    "search_key",
    "campaign_id",
)
DEAL_COLUMNS = (
    "id",
    "account_id",
    "name",
    "value",
    "currency",
    "status",
    "expected_close_date",
    "closed_at",
    "lost_reason",
    "company_id",
    "person_id",
    "notes",
    "version",
    "created_at",
    "updated_at",
    "owner_id",
    "source_id",
    "created_by_id",
    "search_key",
    "campaign_id",
)

SPEND_COLUMNS = (
    "account_id",
    "source_id",
    "campaign_id",
    "start_date",
    "end_date",
    "amount",
    "currency",
    "note",
    "created_by_id",
    "version",
    "created_at",
    "updated_at",
)


class Picker:
    """Weighted choice by bisecting a cumulative table: much faster than random.choices per row."""

    def __init__(self, items: list[Any], weights: list[float]) -> None:
        total = sum(weights)
        self.items = items
        self.cumulative = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cumulative.append(acc)
        self.cumulative[-1] = 1.0

    def pick(self, r: float) -> Any:
        lo, hi = 0, len(self.cumulative) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if r < self.cumulative[mid]:
                hi = mid
            else:
                lo = mid + 1
        return self.items[lo]


def _source_shares(count: int) -> list[float]:
    """Each source's share of the records: skewed (Zipf-like), 92 % in all (8 % of records have no source)."""
    weights = [1 / (k + 1) ** 1.1 for k in range(count)]
    scale = 0.92 / sum(weights)
    return [w * scale for w in weights]


def _source_picker(source_ids: list[int]) -> Picker:
    return Picker([*source_ids, None], [*_source_shares(len(source_ids)), 0.08])


def _owner_picker(owner_ids: list[int]) -> Picker:
    weights = [1 / (k + 1) ** 0.5 for k in range(len(owner_ids))]
    scale = 0.98 / sum(weights)
    return Picker([*owner_ids, None], [w * scale for w in weights] + [0.02])


Campaigns = dict[int, tuple[list[int], list[int]]]  # Dataset.campaigns of one account


def _campaign_of(source: int | None, offset: int, campaigns: Campaigns | None, rng: random.Random) -> int | None:
    """The campaign a record of `source` created at `offset` carries: for CAMPAIGN_SHARE of a paid source's records,
    the one running then. Its own random stream, so the other columns stay what they were before campaigns."""
    if not campaigns or source not in campaigns or rng.random() >= CAMPAIGN_SHARE:
        return None
    starts, ids = campaigns[source]
    index = bisect.bisect_right(starts, offset) - 1
    return ids[index] if index >= 0 else None


def _utc_text(seconds: int) -> str:
    return (START + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def _moments(rng: random.Random, count: int) -> list[int]:
    """Creation times (seconds after START) in order: rows are inserted as they would have been, over time."""
    return sorted(int(rng.random() * SPAN_SECONDS) for _ in range(count))


def contact_rows(
    kind: str,
    *,
    account_id: int,
    count: int,
    owners: list[int],
    sources: list[int],
    rng: random.Random,
    campaigns: Campaigns | None = None,
    campaign_rng: random.Random | None = None,
) -> Iterator[tuple[int, list[Any]]]:
    """(creation offset, row with the id still 0) in creation order."""
    from headwater.records.search import company_search_key, person_search_key

    source_pick, owner_pick = _source_picker(sources), _owner_picker(owners)
    campaign_rng = campaign_rng or random.Random(0)
    for n, offset in enumerate(_moments(rng, count)):
        created = _utc_text(offset)
        owner, source = owner_pick.pick(rng.random()), source_pick.pick(rng.random())
        if kind == "company":
            row = [0, account_id, f"Company {account_id}-{n}", "", "", "", "", "", "", "Warszawa", "Polska", "", 1]
            key = company_search_key(name=row[2], tax_id="", email="", phone="", city="Warszawa", website="")
        else:
            first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n // 7) % len(LAST_NAMES)]
            row = [0, account_id, first, last, "", "", "", None, "", 1]
            key = person_search_key(first_name=first, last_name=last, email="", phone="", position="", company_name="")
        # The list search matches search_key (headwater/records/search.py); COPY bypasses the services that set it.
        campaign = _campaign_of(source, offset, campaigns, campaign_rng)
        yield offset, [*row, created, created, owner, source, None, key, campaign]


def deal_rows(
    *,
    account_id: int,
    count: int,
    owners: list[int],
    sources: list[int],
    companies: list[int],
    rng: random.Random,
    campaigns: Campaigns | None = None,
    campaign_rng: random.Random | None = None,
) -> Iterator[tuple[int, list[Any]]]:
    from headwater.records.search import deal_search_key

    source_pick, owner_pick = _source_picker(sources), _owner_picker(owners)
    currency_pick = Picker([c for c, _ in CURRENCIES], [w for _, w in CURRENCIES])
    campaign_rng = campaign_rng or random.Random(0)
    day = 86_400
    for n, offset in enumerate(_moments(rng, count)):
        age_days = (SPAN_SECONDS - offset) // day
        r = rng.random()
        # Recent deals are mostly open; older ones mostly closed, more often lost than won.
        if age_days < 90:
            status = "open" if r < 0.75 else ("won" if r < 0.85 else "lost")
        else:
            status = "open" if r < 0.08 else ("won" if r < 0.45 else "lost")
        created_at = START + dt.timedelta(seconds=offset)
        closed = None
        if status != "open":
            local_day = created_at.astimezone(ZONE).date()
            after = min(int(rng.expovariate(1 / 30)), age_days)
            closed = (local_day + dt.timedelta(days=after)).isoformat()
        value = min(round(rng.lognormvariate(8.3, 1.0), 2), 99_999_999.99)
        created = created_at.strftime("%Y-%m-%d %H:%M:%S")
        company_n = int(rng.random() * len(companies)) if companies and rng.random() < 0.7 else None
        # The n-th company of an account is "Company <account>-<n>" (contact_rows numbers them the same way).
        company = companies[company_n] if company_n is not None else None
        company_name = f"Company {account_id}-{company_n}" if company_n is not None else ""
        name = f"Deal {account_id}-{n}"
        # Drawn in the order the row used to draw them, so the records stay those of earlier runs.
        currency = currency_pick.pick(rng.random())
        owner = owner_pick.pick(rng.random())
        source = source_pick.pick(rng.random())
        yield (
            offset,
            [
                0,
                account_id,
                name,
                f"{value:.2f}",
                currency,
                status,
                None,
                closed,
                "",
                company,
                None,
                "",
                1,
                created,
                created,
                owner,
                source,
                None,
                deal_search_key(name=name, company_name=company_name, person_name=""),
                _campaign_of(source, offset, campaigns, campaign_rng),
            ],
        )


def _merged(
    streams: list[Iterator[tuple[int, list[Any]]]], first_id: int, ids: dict[int, list[int]] | None
) -> Iterator[tuple[Any, ...]]:
    """All accounts' rows in creation order (accounts interleave in the table, as they do in real use), numbered."""
    keyed = (((offset, i, seq, row) for seq, (offset, row) in enumerate(stream)) for i, stream in enumerate(streams))
    pk = first_id
    for _offset, _i, _seq, row in heapq.merge(*keyed):
        row[0] = pk
        if ids is not None:
            ids.setdefault(row[1], []).append(pk)
        pk += 1
        yield tuple(row)


# --- Building the data set ----------------------------------------------------------------------------------


def create_small_tables(plans: list[AccountPlan], scale: float) -> Dataset:
    """Accounts, users (owners), memberships, channels, sources, campaigns and rates through the ORM, and the spend
    ledger's rows for the loaders; returns their ids."""
    from django.utils import timezone

    from headwater.channels.services import channels_seed_default
    from headwater.core.models import Account
    from headwater.core.text import name_key, name_look_key
    from headwater.sources.models import Source
    from headwater.stats.models import ExchangeRate
    from headwater.users.models import Membership, Role, User

    data = Dataset(scale=scale)
    accounts = Account.objects.bulk_create(
        [
            Account(
                name=p.slug.title(),
                slug=p.slug,
                currency="PLN",
                language="en",
                time_zone=ZONE_NAME,
                sources_enabled=True,
            )
            for p in plans
        ]
    )
    users: list[User] = []
    for p in plans:
        users += [User(email=f"owner{i}@{p.slug}.bench", full_name=f"Owner {i} of {p.slug}") for i in range(p.owners)]
    for user in users:
        user.set_unusable_password()
    users = User.objects.bulk_create(users)
    memberships, sources, rates = [], [], []
    cursor = 0
    now = timezone.now()
    # The shipped channels, as every new account gets them (Account.objects.bulk_create sends no account_created).
    channels = {account.pk: {c.key: c.pk for c in channels_seed_default(account=account)} for account in accounts}
    for p, account in zip(plans, accounts, strict=True):
        owners = users[cursor : cursor + p.owners]
        cursor += p.owners
        data.accounts[p.slug] = account.pk
        data.owners[p.slug] = [u.pk for u in owners]
        memberships += [Membership(account=account, user=u, role=Role.MEMBER) for u in owners]
        sources += [
            Source(
                account=account,
                name=name,
                name_key=name_key(name),
                look_key=name_look_key(name),
                position=i,
                archived=name == p.archived_source,
                channel_id=channels[account.pk].get(SOURCE_CHANNELS.get(name, "")),
            )
            for i, name in enumerate(p.sources, start=1)
        ]
        rates += [
            ExchangeRate(account=account, currency=c, base_currency="PLN", rate=r, updated_at=now)
            for c, r in RATES.items()
        ]
    Membership.objects.bulk_create(memberships)
    for source in Source.objects.bulk_create(sources):
        slug = next(s for s, pk in data.accounts.items() if pk == source.account_id)
        data.sources.setdefault(slug, []).append(source.pk)
    ExchangeRate.objects.bulk_create(rates)
    _campaigns_and_spend(plans, data)
    return data


CAMPAIGN_THEMES = ["Launch", "Spring offer", "Summer sale", "Autumn push", "Year end", "Retargeting", "Brand"]


def _months() -> list[dt.date]:
    """The first days of the data's whole months (November 2023 to October 2026)."""
    first = (START + dt.timedelta(days=1)).date().replace(day=1)
    months = []
    while first < END.date():
        months.append(first)
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return months


def _campaigns_and_spend(plans: list[AccountPlan], data: Dataset) -> None:
    """Campaigns under each account's paid sources (one after another over the data's months), and the spend
    ledger: per paid source and month an entry on the source and one on its running campaign."""
    from headwater.campaigns.models import Campaign
    from headwater.core.text import name_key
    from headwater.spend.periods import month_range

    months = _months()
    archive_before = END.date() - dt.timedelta(days=365)
    currency_pick = Picker([c for c, _ in SPEND_CURRENCIES], [w for _, w in SPEND_CURRENCIES])
    amounts_rate = {**RATES, "PLN": Decimal(1), "GBP": GBP_FOR_AMOUNTS}
    planned: list[tuple[str, int, int, Campaign]] = []  # (slug, source id, first month index, campaign)
    # (slug, source id, first month index of each of its campaigns, monthly PLN spend, random stream)
    paid: list[tuple[str, int, list[int], float, random.Random]] = []
    for index, p in enumerate(plans):
        rng = random.Random(SEED * 10_000 + index * 10 + 7)
        account_id = data.accounts[p.slug]
        shares = _source_shares(len(p.sources))
        for position, (name, source_id) in enumerate(zip(p.sources, data.sources[p.slug], strict=True)):
            if name not in PAID_SOURCES:
                continue
            monthly = max(1.0, p.deals / len(months) * shares[position] * SPEND_PER_DEAL)
            count = rng.randint(2, 6)
            firsts = [0, *sorted(rng.sample(range(1, len(months)), count - 1))]
            for n, first in enumerate(firsts):
                start = START.date() if first == 0 else months[first]
                last = firsts[n + 1] if n + 1 < count else None
                # The last campaign of a source is mostly still running (no end date).
                end = months[last] - dt.timedelta(days=1) if last else (None if rng.random() < 0.7 else END.date())
                months_run = (last or len(months)) - first
                budget = None
                if rng.random() < 0.7:
                    planned_spend = monthly * CAMPAIGN_SPEND_SHARE * months_run * rng.uniform(0.8, 1.3)
                    budget = Decimal(max(100, round(planned_spend, -2))).quantize(Decimal("0.01"))
                title = f"{name} {CAMPAIGN_THEMES[rng.randrange(len(CAMPAIGN_THEMES))]} {start:%Y-%m}"
                campaign = Campaign(
                    account_id=account_id,
                    source_id=source_id,
                    name=title,
                    name_key=name_key(title),
                    start_date=start,
                    end_date=end,
                    budget=budget,
                    currency="PLN" if budget is not None else "",
                    archived=end is not None and end < archive_before and rng.random() < 0.5,
                )
                planned.append((p.slug, source_id, first, campaign))
            paid.append((p.slug, source_id, firsts, monthly, rng))
    Campaign.objects.bulk_create([c for *_, c in planned], batch_size=2_000)
    by_source: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for slug, source_id, first, campaign in planned:
        by_source.setdefault((slug, source_id), []).append((first, campaign.pk))
    for (slug, source_id), runs in by_source.items():
        offsets = [
            int((dt.datetime.combine(months[f], dt.time(), dt.UTC) - START).total_seconds()) if f else 0
            for f, _ in runs
        ]
        data.campaigns.setdefault(slug, {})[source_id] = (offsets, [pk for _, pk in runs])

    # Thousands of rows whatever the scale: written by the loaders with the records, not through the ORM (7 s).
    for slug, source_id, firsts, monthly, rng in paid:
        campaign_ids = data.campaigns[slug][source_id][1]
        for m, month in enumerate(months):
            spent = monthly * rng.uniform(0.75, 1.25)
            running = campaign_ids[bisect.bisect_right(firsts, m) - 1]
            first_day, last_day = month_range(month)
            booked = f"{last_day + dt.timedelta(days=1)} 09:00:00"  # entered the morning after the month
            for campaign_id, part in ((running, CAMPAIGN_SPEND_SHARE), (None, 1 - CAMPAIGN_SPEND_SHARE)):
                currency = currency_pick.pick(rng.random())
                amount = max(
                    (Decimal(spent * part) / amounts_rate[currency]).quantize(Decimal("0.01")), Decimal("0.01")
                )
                data.spend.append(
                    (
                        data.accounts[slug],
                        source_id,
                        campaign_id,
                        first_day.isoformat(),
                        last_day.isoformat(),
                        str(amount),
                        currency,
                        "",
                        None,
                        1,
                        booked,
                        booked,
                    )
                )
    data.counts.update(campaigns=len(planned), spend_entries=len(data.spend))


def generate(
    plans: list[AccountPlan],
    data: Dataset,
    write: Callable[[str, tuple[str, ...], Iterator[tuple[Any, ...]], Progress], None],
) -> None:
    """Stream all companies, then persons, then deals (each in creation order), then the spend ledger to
    `write(table, columns, rows, bar)`."""
    totals = {kind: sum(getattr(p, kind) for p in plans) for kind in ("companies", "persons", "deals")}
    bar = Progress("rows", sum(totals.values()) + len(data.spend))

    def rng(index: int, kind: int) -> random.Random:
        return random.Random(SEED * 10_000 + index * 10 + kind)

    def ids_of(p: AccountPlan) -> tuple[int, list[int], list[int]]:
        return data.accounts[p.slug], data.owners[p.slug], data.sources[p.slug]

    def campaigns_of(i: int, p: AccountPlan, kind: int) -> dict[str, Any]:
        # A stream of its own (kinds 4 to 6), so adding campaigns left every other column as it was.
        return {"campaigns": data.campaigns.get(p.slug), "campaign_rng": rng(i, kind + 3)}

    company_ids: dict[int, list[int]] = {}
    streams = []
    for i, p in enumerate(plans):
        account_id, owners, sources = ids_of(p)
        streams.append(
            contact_rows(
                "company",
                account_id=account_id,
                count=p.companies,
                owners=owners,
                sources=sources,
                rng=rng(i, 1),
                **campaigns_of(i, p, 1),
            )
        )
    write("companies_company", COMPANY_COLUMNS, _merged(streams, 1, company_ids), bar)

    streams = []
    for i, p in enumerate(plans):
        account_id, owners, sources = ids_of(p)
        streams.append(
            contact_rows(
                "person",
                account_id=account_id,
                count=p.persons,
                owners=owners,
                sources=sources,
                rng=rng(i, 2),
                **campaigns_of(i, p, 2),
            )
        )
    write("persons_person", PERSON_COLUMNS, _merged(streams, 1, None), bar)

    streams = []
    for i, p in enumerate(plans):
        account_id, owners, sources = ids_of(p)
        streams.append(
            deal_rows(
                account_id=account_id,
                count=p.deals,
                owners=owners,
                sources=sources,
                companies=company_ids.get(account_id, []),
                rng=rng(i, 3),
                **campaigns_of(i, p, 3),
            )
        )
    write("deals_deal", DEAL_COLUMNS, _merged(streams, 1, None), bar)
    write("spend_spendentry", SPEND_COLUMNS, iter(data.spend), bar)
    data.counts.update(totals)


# --- Loaders ------------------------------------------------------------------------------------------------

_EMPTY_BY_TYPE = {"text": "", "character varying": "", "integer": 0, "bigint": 0, "smallint": 0, "boolean": False}


def _required_extras(cursor: Any, vendor: str, table: str, columns: tuple[str, ...]) -> list[tuple[str, Any]]:
    """Columns other apps added that the generator does not know, NOT NULL without a database default: filled
    with an empty value of their type, so the benchmark keeps loading when records gain a field."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
            "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
            [table],
        )
        found = cursor.fetchall()
    else:
        cursor.execute(f"PRAGMA table_info({table})")
        found = [
            (name, {"varchar": "text", "bool": "boolean"}.get(kind.lower().split("(")[0], kind.lower().split("(")[0]))
            for _cid, name, kind, notnull, default, _pk in cursor.fetchall()
            if notnull and default is None
        ]
    extras = []
    for name, kind in found:
        if name in columns or name == "id":
            continue
        if kind not in _EMPTY_BY_TYPE:
            raise SystemExit(f"{table}.{name} ({kind}) is required and the benchmark does not know how to fill it")
        extras.append((name, _EMPTY_BY_TYPE[kind]))
    return extras


def _copy_text(rows: Iterator[tuple[Any, ...]], progress: Progress, chunk: int = 20_000) -> Iterator[str]:
    """COPY's text format; generated values never contain tabs, newlines or backslashes."""
    lines: list[str] = []
    for row in rows:
        lines.append("\t".join("\\N" if v is None else str(v) for v in row))
        if len(lines) >= chunk:
            progress.add(len(lines))
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        progress.add(len(lines))
        yield "\n".join(lines) + "\n"


def build_tallies(cursor: Any, vendor: str) -> None:
    """The statistics tallies of every record, computed from the tables (what the triggers would have written), in
    the order stats.services.tallies_rebuild computes them."""
    from headwater.stats import campaign_tally_sql, close_tally_sql, cohort_sql, funnel_sql, tally_sql

    started = time.perf_counter()
    # Each contact's deals and won deals: the funnel's triggers count on from them.
    select, params = funnel_sql.fresh_counts_sql(vendor, None)
    cursor.execute(f"DELETE FROM {funnel_sql.TABLE}")
    cursor.execute(f"INSERT INTO {funnel_sql.TABLE} ({funnel_sql.COLUMNS}) {select}", params)
    print(f"  funnel     {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    select, params = tally_sql.fresh_tallies_sql(vendor, None)
    cursor.execute(f"DELETE FROM {tally_sql.TABLE}")
    cursor.execute(f"INSERT INTO {tally_sql.TABLE} ({tally_sql.COLUMNS}) {select}", params)
    print(f"  tallies    {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    select, params = close_tally_sql.fresh_sql(vendor, None)
    cursor.execute(f"DELETE FROM {close_tally_sql.TABLE}")
    cursor.execute(f"INSERT INTO {close_tally_sql.TABLE} ({close_tally_sql.COLUMNS}) {select}", params)
    print(f"  close days {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    select, params = campaign_tally_sql.fresh_sql(vendor, None)
    cursor.execute(f"DELETE FROM {campaign_tally_sql.TABLE}")
    cursor.execute(f"INSERT INTO {campaign_tally_sql.TABLE} ({campaign_tally_sql.COLUMNS}) {select}", params)
    print(f"  campaigns  {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    select, params = cohort_sql.fresh_sql(vendor, None)
    cursor.execute(f"DELETE FROM {cohort_sql.TABLE}")
    cursor.execute(f"INSERT INTO {cohort_sql.TABLE} ({cohort_sql.COLUMNS}) {select}", params)
    print(f"  cohorts    {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def load_postgres(conninfo: str, plans: list[AccountPlan], data: Dataset) -> None:
    """COPY into the indexed tables, foreign-key triggers off for the load (the generator keeps every reference)."""
    import psycopg

    started = time.perf_counter()
    tables = ("companies_company", "persons_person", "deals_deal")
    with psycopg.connect(conninfo, autocommit=False) as conn:
        with conn.cursor() as cur:
            # The fast way: COPY into tables without their secondary indexes, then build each index once.
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
                [list(tables)],
            )
            indexes = cur.fetchall()
            for name, _definition in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            cur.execute("SET session_replication_role = replica")
            cur.execute("SET TIME ZONE 'UTC'")

            def write(
                table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]], progress: Progress
            ) -> None:
                extras = _required_extras(cur, "postgresql", table, columns)
                names = ", ".join([*columns, *(name for name, _ in extras)])
                values = tuple(value for _, value in extras)
                with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for block in _copy_text((row + values for row in rows), progress):
                        copy.write(block)

            generate(plans, data, write)
            for table in tables:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cur.execute("SET session_replication_role = DEFAULT")
            cur.execute("SET maintenance_work_mem = '512MB'")
            index_bar = Progress("indexes", len(indexes), unit="indexes")
            for _name, definition in indexes:
                cur.execute(definition)
                index_bar.add(1)
            # COPY in replica mode fired no triggers: the statistics tallies are computed once, as a migration
            # computes them for records that existed before the triggers.
            build_tallies(cur, "postgresql")
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # Fresh statistics and visibility maps, so the planner can use index-only scans as in a settled database.
        conn.execute(
            "VACUUM (ANALYZE) companies_company, persons_person, deals_deal, stats_sourcetally, stats_closedaystally, "
            "stats_campaigntally, stats_cohorttally, stats_contactdeals, campaigns_campaign, spend_spendentry"
        )
    data.load_seconds = time.perf_counter() - started


def switch_word_starts() -> None:
    """The word-start size rule applied to every account, as imports and `manage.py word_starts --fit` apply it
    (records/word_starts.py): the big account and the few others over the threshold are switched on, so the lists
    benchmark reads as a deployment does. Then the tables written are vacuumed like the records (index-only
    reads). Nothing off PostgreSQL; nothing to do the second time."""
    from django.db import connection

    from headwater.records.word_starts import table_of, word_starts_fit

    started = time.perf_counter()
    switched = word_starts_fit()
    for switch in switched:
        state = "on" if switch.on else "off"
        print(
            f"Word starts switched {state}: account {switch.account_id}, {table_of(switch.model)} "
            f"({switch.records:,} records)",
            file=sys.stderr,
        )
    if switched:
        tables = sorted({table_of(s.model) for s in switched})
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        print(f"Word starts switched in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def load_django(plans: list[AccountPlan], data: Dataset) -> None:
    """Plain INSERTs through Django's connection (any backend): the SQLite benchmark and the smoke test."""
    from django.db import connection, transaction

    from headwater.stats import campaign_tally_sql, close_tally_sql, cohort_sql, funnel_sql, tally_sql

    started = time.perf_counter()
    sqls = (tally_sql, close_tally_sql, campaign_tally_sql, cohort_sql, funnel_sql)

    def write(table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]], progress: Progress) -> None:
        batch: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            extras = _required_extras(cursor, connection.vendor, table, columns)
            names = [*columns, *(name for name, _ in extras)]
            values = tuple(value for _, value in extras)
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
            for row in rows:
                batch.append(row + values)
                if len(batch) >= 5_000:
                    cursor.executemany(sql, batch)
                    progress.add(len(batch))
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                progress.add(len(batch))

    with transaction.atomic():
        with connection.cursor() as cursor:
            # Row triggers would upsert several tallies per record; the tallies are computed once after the load.
            for statement in [s for module in sqls for s in module.drop_sql(connection.vendor)]:
                cursor.execute(statement)
        generate(plans, data, write)
        with connection.cursor() as cursor:
            for statement in [s for module in sqls for s in module.trigger_sql(connection.vendor)]:
                cursor.execute(statement)
            build_tallies(cursor, connection.vendor)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("companies_company", "persons_person", "deals_deal"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    data.load_seconds = time.perf_counter() - started
