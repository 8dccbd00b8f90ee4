"""Spend and return per campaign: the drill-down channel -> source -> campaign of "Spend and return".
docs/statistics.md, "Campaigns".

Per campaign of a source, for the page's period: new contacts, deals, won deals, won value, spend, and the ratios
of stats/returns.py (cost per contact, per deal, per won deal, ROI, ROAS), the same figures as the source's row.
The records come from the campaign tallies (stats/campaign_tally_sql.py, all owners: whole months, the days around
them, all time by years), read once; the spend from the period's one read of the ledger, which the source rows share;
names from the campaign catalogue, read once. Three queries, whatever the number of campaigns; none when spend and
return is not shown (an owner filter). Compared with the previous period, that period's campaign groups come in the
same query of the tallies and its spend from its one read of the ledger (the source rows'): no query more.

The Statistics page does not show the rows until a source's drill-down is opened (`CampaignScope`): it reads only
which (source, campaign) pairs have records (`read_campaign_pairs`, in place of the groups) to count each source's
campaigns, and the drill-down, when opened, reads that source's groups only (stats/part_views.py).

Each source with campaigns gets a "(no campaign)" row: its records and spend without a campaign, computed from the
source's own groups less its campaigns' before conversion, so every row is exactly its records (each currency
converted and rounded to the cent once per row) and the counts of a source's rows add up to the source's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection

from headwater.campaigns.models import Campaign
from headwater.core.compiled import CompiledRows
from headwater.core.models import Account
from headwater.spend.selectors import SpendKey
from headwater.stats import campaign_tally_sql
from headwater.stats.figures import Figures
from headwater.stats.filters import DateRange
from headwater.stats.models import DAILY, YEARLY, TallyKind
from headwater.stats.money import CENT, EXACT, MoneyGroup, cent_ratios
from headwater.stats.periods import split_period
from headwater.stats.results import CampaignInfo, CampaignRow, ReturnRow, Section, SourceInfo
from headwater.stats.returns import compare_returns, with_ratios

# {(source, campaign): {(kind, currency): [count, cents]}}; campaign None is the source's "(no campaign)".
CampaignGroups = dict[tuple[int | None, int | None], dict[tuple[int, str], list[int]]]
# {(source, campaign): spend}; campaign None is the source's spend without a campaign.
CampaignSpend = dict[tuple[int, int | None], MoneyGroup]

_MONTHLY = (TallyKind.COMPANY, TallyKind.PERSON, TallyKind.OPEN, TallyKind.WON, TallyKind.LOST)
_UNDATED = {TallyKind.WON_UNDATED: TallyKind.WON, TallyKind.LOST_UNDATED: TallyKind.LOST}
_DEALS = (TallyKind.OPEN, TallyKind.WON, TallyKind.LOST)
# The same as plain integers: one lookup per row of the campaign tallies, without making an enum member.
_UNDATED_KIND = {int(undated): int(kind) for undated, kind in _UNDATED.items()}


class AllSources:
    """`source_id` of the readers below when every source's campaigns are wanted (None is "no source")."""


ALL_SOURCES = AllSources()


@dataclass(frozen=True, kw_only=True)
class CampaignScope:
    """Which campaign figures the statistics compute: every source's rows (the API, the exports), one source's rows
    (the page's drill-down, when opened: `source_id`), or only how many campaigns each source lists (the page, which
    loads a source's rows when it is opened: `rows` False)."""

    rows: bool = True
    source_id: int | AllSources | None = ALL_SOURCES


EVERY_CAMPAIGN = CampaignScope()
CAMPAIGN_COUNTS = CampaignScope(rows=False)


_CATALOGUE = CompiledRows(
    lambda account_id: (
        Campaign.objects.for_account(Account(pk=account_id))
        .order_by("name", "id")
        .values_list("id", "source_id", "name", "archived")
    ),
    account_id=int,
)


def _source_condition(source_id: int | AllSources | None) -> tuple[str, list[Any]]:
    """The WHERE condition (and its parameter) that keeps one source's tallies; none for every source. The tallies
    key "no source" as 0."""
    if isinstance(source_id, AllSources):
        return "", []
    return " AND source_key = %s", [source_id or 0]


def read_campaign_groups(
    *, account: Account, periods: Sequence[DateRange | None], source_id: int | AllSources | None = ALL_SOURCES
) -> list[CampaignGroups]:
    """Each period's records with a campaign per (source, campaign) and (kind, currency), from the campaign tallies:
    its whole months, the days around them, or for all time every year; of one source only when given. One query
    whatever the number of periods (the page's and the one it is compared with: one part each, tagged), scoped by
    account."""
    parts: list[str] = []
    params: list[Any] = []
    only, only_params = _source_condition(source_id)
    for index, period in enumerate(periods):
        conditions, values = _period_conditions(period)
        parts.append(
            f"SELECT {index}, kind, source_key, campaign_key, currency, "  # noqa: S608 — constants and placeholders only
            "CAST(SUM(n) AS BIGINT), CAST(SUM(cents) AS BIGINT) "
            f"FROM {campaign_tally_sql.TABLE} WHERE account_id = %s AND ({' OR '.join(conditions)}){only} "
            "GROUP BY kind, source_key, campaign_key, currency"
        )
        params += [account.pk, *values, *only_params]
    groups: list[CampaignGroups] = [{} for _period in periods]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        # Integers as read (integer columns, the sums cast): a few thousand rows for a big account's all time.
        for index, kind, source_key, campaign_key, currency, n, cents in cursor.fetchall():
            if not n:
                continue
            base = kind % DAILY
            key = (_UNDATED_KIND.get(base, base), currency)
            campaign = groups[index].get((source_key or None, campaign_key))
            if campaign is None:
                campaign = groups[index][source_key or None, campaign_key] = {}
            slot = campaign.get(key)
            if slot is None:
                campaign[key] = [n, cents]
            else:
                slot[0] += n
                slot[1] += cents
    return groups


def read_campaign_pairs(*, account: Account, periods: Sequence[DateRange | None]) -> set[tuple[int | None, int]]:
    """The (source, campaign) pairs that have records in any of the periods: the keys `read_campaign_groups` would
    give (a group whose count sums to zero is none), without their figures. What the Statistics page needs to say
    which sources have campaigns, and how many, before any is opened: one query, a row per pair.

    A tally counts records, so its count is never below zero, and a group's sum is zero exactly when each of its
    tallies is: the pairs of the tallies above zero, without a group per (kind, source, campaign, currency) to sum
    first (a third of the big account's all-time read)."""
    parts: list[str] = []
    params: list[Any] = []
    for period in periods:
        conditions, values = _period_conditions(period)
        parts.append(
            f"SELECT source_key, campaign_key FROM {campaign_tally_sql.TABLE} "  # noqa: S608 — constants and placeholders only
            f"WHERE account_id = %s AND ({' OR '.join(conditions)}) AND n <> 0"
        )
        params += [account.pk, *values]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT source_key, campaign_key FROM ({' UNION ALL '.join(parts)}) AS used",  # noqa: S608 — constants and placeholders only
            params,
        )
        return {(source_key or None, campaign_key) for source_key, campaign_key in cursor.fetchall()}


def _period_conditions(period: DateRange | None) -> tuple[list[str], list[Any]]:
    """The WHERE conditions (ORed) and their parameters that pick a period's tallies."""
    wanted: list[tuple[list[int], dt.date | None, dt.date | None]] = []
    if period is None:
        every = [*_MONTHLY, TallyKind.WON_UNDATED, TallyKind.LOST_UNDATED]
        wanted.append(([int(kind) + YEARLY for kind in every], None, None))
    else:
        split = split_period(period)
        if split.months is not None:
            wanted.append(([int(kind) for kind in _MONTHLY], *split.months))
        wanted += [([int(kind) + DAILY for kind in _MONTHLY], edge.start, edge.end) for edge in split.edges]
    conditions: list[str] = []
    params: list[Any] = []
    for kinds, first, last in wanted:
        condition = "kind IN (" + ", ".join(str(kind) for kind in kinds) + ")"
        if first is not None and last is not None:
            condition += " AND bucket >= %s AND bucket <= %s"
            params += [first, last] if connection.vendor == "postgresql" else [first.isoformat(), last.isoformat()]
        conditions.append(f"({condition})")
    return conditions, params


def campaign_spend(spent: Mapping[SpendKey, tuple[int, Decimal]], rates: Mapping[str, Decimal]) -> CampaignSpend:
    """The period's spend (spend.selectors.spend_in_period, already read for the sources) per (source, campaign):
    each currency's spread parts summed, rounded half up to the cent once, converted and rounded (as per source)."""
    counts: dict[tuple[int, int | None, str], int] = {}
    sums: dict[tuple[int, int | None, str], Decimal] = {}
    for (source_id, campaign_id, currency), (count, exact) in spent.items():
        key = (source_id, campaign_id, currency)
        counts[key] = counts.get(key, 0) + count
        sums[key] = EXACT.add(sums.get(key, Decimal(0)), exact)
    groups: CampaignSpend = {}
    for (source_id, campaign_id, currency), exact in sums.items():
        total = exact.quantize(CENT, rounding=ROUND_HALF_UP, context=EXACT)
        groups.setdefault((source_id, campaign_id), MoneyGroup()).add(
            currency=currency, count=counts[(source_id, campaign_id, currency)], total=total, rates=rates
        )
    return groups


def campaign_catalogue(*, account: Account) -> list[CampaignInfo]:
    """The account's campaigns by name (one query, compiled once)."""
    return [
        CampaignInfo(id=pk, source_id=source_id, name=name, archived=archived)
        for pk, source_id, name, archived in _CATALOGUE(account_id=account.pk)
    ]


def _row(
    source: SourceInfo,
    campaign: CampaignInfo,
    groups: Mapping[tuple[int, str], list[int]],
    spend: MoneyGroup | None,
    ratios: Mapping[str, tuple[int, int]],
) -> CampaignRow:
    won = MoneyGroup()
    contacts = deals = 0
    for (kind, currency), (n, cents) in groups.items():
        if kind in (TallyKind.COMPANY, TallyKind.PERSON):
            contacts += n
        elif kind in _DEALS:
            deals += n
            if kind == TallyKind.WON and n:
                won.add_cents(currency=currency, count=n, cents=cents, ratio=ratios.get(currency))
    money = spend or MoneyGroup()
    row = CampaignRow(
        source=source,
        campaign=campaign,
        spend=money.value,
        spend_unconverted=money.unconverted_list(),
        contacts=contacts,
        deals=deals,
        won_count=won.count,
        won_value=won.value,
    )
    return with_ratios(row)


def _source_groups(figures: Figures) -> dict[int | None, dict[tuple[int, str], list[int]]]:
    """The period's groups of every source before conversion, {source: {(kind, currency): [count, cents]}}."""
    by_source: dict[int | None, dict[tuple[int, str], list[int]]] = {}
    for (kind, source_id, currency), (n, cents, *_rest) in figures.raw.items():
        if n:
            slot = by_source.setdefault(source_id, {}).setdefault((kind, currency), [0, 0])
            slot[0] += n
            slot[1] += cents
    return by_source


@dataclass(frozen=True)
class CampaignPeriod:
    """What the campaign rows of one period are computed from: the period's figures (the sources' groups), its
    campaign groups and its campaign spend."""

    figures: Figures
    groups: CampaignGroups
    spend: CampaignSpend


def campaign_rows(
    *,
    returns: Section[ReturnRow],
    current: CampaignPeriod,
    previous: CampaignPeriod | None,
    catalogue: list[CampaignInfo],
    rates: Mapping[str, Decimal],
    only: int | AllSources | None = ALL_SOURCES,
) -> dict[int | None, list[CampaignRow]]:
    """Each shown source's campaign rows (or only source `only`'s): its `campaign_listing`, then "(no campaign)".
    Sources without campaigns get none. With a previous period, each row's `changes` against the same row of that
    period, as the source rows'. In memory: no query."""
    ratios = cent_ratios(rates)
    pairs = [key for period in (current, previous) if period is not None for key in [*period.groups, *period.spend]]
    used = _used(pairs)
    sources = _source_groups(current.figures)
    sources_before = _source_groups(previous.figures) if previous is not None else {}
    result: dict[int | None, list[CampaignRow]] = {}
    rows_of = [row for row in returns.rows if isinstance(only, AllSources) or row.source.id == only]
    listing = campaign_listing(sources=[row.source for row in rows_of], used=used, catalogue=catalogue)
    for source_row in rows_of:
        source = source_row.source
        listed = listing.get(source.id)
        if not listed:
            continue
        here = used.get(source.id, set())
        rows = _source_rows(
            source, listed=listed, here=here, period=current, own=sources.get(source.id, {}), ratios=ratios
        )
        if previous is not None:
            before = _source_rows(
                source, listed=listed, here=here, period=previous, own=sources_before.get(source.id, {}), ratios=ratios
            )
            for row, old in zip(rows, before, strict=True):
                compare_returns(row, old)
        result[source.id] = rows
    return result


def _used(pairs: Iterable[tuple[int | None, int | None]]) -> dict[int | None, set[int]]:
    """{source: the campaigns with figures or spend under it} from (source, campaign) keys (None: no campaign)."""
    used: dict[int | None, set[int]] = {}
    for source_id, campaign_id in pairs:
        if campaign_id is not None:
            used.setdefault(source_id, set()).add(campaign_id)
    return used


def campaign_listing(
    *, sources: Iterable[SourceInfo], used: Mapping[int | None, set[int]], catalogue: list[CampaignInfo]
) -> dict[int | None, list[CampaignInfo]]:
    """The campaigns each source lists, by name: its active campaigns, archived ones only with figures or spend
    (`used`, in either period), and ids with figures that the catalogue does not put under it (a campaign of another
    source, or deleted meanwhile): never dropped. Sources that list none are left out."""
    by_id = {campaign.id: campaign for campaign in catalogue}
    of_source: dict[int | None, list[CampaignInfo]] = {}
    for campaign in catalogue:
        of_source.setdefault(campaign.source_id, []).append(campaign)
    listing: dict[int | None, list[CampaignInfo]] = {}
    for source in sources:
        here = used.get(source.id, set())
        listed = [c for c in of_source.get(source.id, []) if not c.archived or c.id in here]
        listed += [
            by_id.get(cid) or CampaignInfo(id=cid, source_id=source.id, known=False)
            for cid in sorted(here - {c.id for c in listed if c.id is not None})
        ]
        if listed:
            listing[source.id] = listed
    return listing


def campaign_counts(
    *,
    returns: Section[ReturnRow],
    pairs: Iterable[tuple[int | None, int | None]],
    catalogue: list[CampaignInfo],
) -> dict[int | None, int]:
    """How many campaigns each shown source lists (`campaign_listing`; its "(no campaign)" row not counted), from the
    (source, campaign) pairs with records (`read_campaign_pairs`) or spend in either period: the rows
    `campaign_rows` would give, less their figures."""
    listing = campaign_listing(sources=[row.source for row in returns.rows], used=_used(pairs), catalogue=catalogue)
    return {source_id: len(listed) for source_id, listed in listing.items()}


def _source_rows(
    source: SourceInfo,
    *,
    listed: list[CampaignInfo],
    here: set[int],
    period: CampaignPeriod,
    own: Mapping[tuple[int, str], list[int]],
    ratios: Mapping[str, tuple[int, int]],
) -> list[CampaignRow]:
    """A source's rows in one period: each listed campaign's, then "(no campaign)"."""
    rows = [
        _row(
            source,
            campaign,
            period.groups.get((source.id, campaign.id), {}),
            period.spend.get(_spend_key(source, campaign)),
            ratios,
        )
        for campaign in listed
    ]
    # "(no campaign)": the source's groups less its campaigns', per (kind, currency), before conversion.
    rest = {key: list(value) for key, value in own.items()}
    for campaign_id in here:
        for key, (n, cents) in period.groups.get((source.id, campaign_id), {}).items():
            slot = rest.setdefault(key, [0, 0])
            slot[0] -= n
            slot[1] -= cents
    none = CampaignInfo(id=None, source_id=source.id)
    rest_spend = period.spend.get((source.id, None)) if source.id is not None else None
    rows.append(_row(source, none, rest, rest_spend, ratios))
    return rows


def _spend_key(source: SourceInfo, campaign: CampaignInfo) -> tuple[int, int | None]:
    return (source.id if source.id is not None else 0, campaign.id)
