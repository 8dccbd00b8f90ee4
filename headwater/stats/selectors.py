"""Acquisition-source statistics. One selector, `source_stats`, feeds the page, the CSV export and the API.

The database groups rows by source (and by status and currency for deals) with one query per table; the rest is
exact `Decimal` arithmetic in Python over those few groups, so the number of queries does not depend on the number
of sources and no value ever passes through a float.

Its parts: `figures` (the reads: tallies, and records for the days the tallies lack), `periods` (local days, whole
months), `money` (sums, conversion, rounding), `results` (the returned rows), `sorting` (the rows' order); the
tallies' drift check is `tally_drift`, next to the SQL it checks (`tally_sql`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db.models import Expression, Max, Min, QuerySet
from django.utils.translation import gettext

from headwater.core.compiled import CompiledRows
from headwater.core.errors import NotFound, Unavailable
from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.jobs.models import Job, JobState
from headwater.jobs.selectors import job_latest
from headwater.sources.models import Source
from headwater.spend.selectors import SpendKey
from headwater.stats.campaign_stats import (
    EVERY_CAMPAIGN,
    CampaignPeriod,
    CampaignScope,
    campaign_catalogue,
    campaign_counts,
    campaign_rows,
    campaign_spend,
    read_campaign_groups,
    read_campaign_pairs,
)
from headwater.stats.figures import Figures, figures_for
from headwater.stats.filters import DateRange, GroupBy, StatsFilters
from headwater.stats.models import TALLIES_REBUILD, ExchangeRate
from headwater.stats.money import (
    EXACT,
    TENTH,
    MoneyGroup,
    SortedDays,
    average,
    average_cents,
    change,
    exchange_rates_for,
    median_days_of,
    percent,
    quotient,
    wilson_interval,
)
from headwater.stats.periods import day_bounds, local_day
from headwater.stats.results import (
    TOTAL,
    CampaignRow,
    Change,
    ChannelGroup,
    ClosedRow,
    ContactRow,
    FunnelRow,
    OpenRow,
    R,
    ReturnRow,
    Section,
    SourceInfo,
    SourceStats,
    Unconverted,
    WonSummary,
    channel_info,
)
from headwater.stats.returns import compare_returns, returns_builder, spend_groups_from, spend_read
from headwater.stats.touches import BASIS, TouchStats, read_touch_tallies, touch_stats_from
from headwater.stats.trend import Trend, TrendBy, TrendRow, read_trend_tallies, trend_from

# Every statistics request reads the catalogue: compiled once (core.compiled), not per request.
_CATALOGUE = CompiledRows(
    lambda account_id: (
        Source.objects.for_account(Account(pk=account_id))
        .order_by("position", "id")
        .values_list("id", "name", "archived", "position", "channel_id", "channel__name", "channel__position")
    ),
    account_id=int,
)


def exchange_rate_list(*, account: Account) -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.for_account(account).order_by("currency")


def exchange_rate_get(*, account: Account, rate_id: int) -> ExchangeRate:
    """One rate of the account; NotFound whether it is missing or another account's."""
    rate = ExchangeRate.objects.for_account(account).filter(pk=rate_id).first()
    if rate is None:
        raise NotFound(gettext("Not found."))
    return rate


def _row_sources(catalogue: Iterable[SourceInfo], used: set[int | None]) -> list[SourceInfo]:
    """Every active source, archived ones only when they have figures, unknown ids never dropped, "No source" last."""
    rows: list[SourceInfo] = []
    seen: set[int] = set()
    for source in catalogue:
        assert source.id is not None  # noqa: S101 — catalogue rows always have ids
        seen.add(source.id)
        if not source.archived or source.id in used:
            rows.append(source)
    # A source created or deleted between the aggregate queries and the catalogue read: still shown, never dropped.
    rows.extend(SourceInfo(id=sid, known=False) for sid in sorted(i for i in used if i is not None and i not in seen))
    rows.append(SourceInfo(id=None))
    return rows


def _contacts(
    figures: Figures, sources: list[SourceInfo], *, rows: bool = True, derived: bool = True
) -> Section[ContactRow]:
    """The section's rows (none when `rows` is false: a channel's total) and total; without `derived`, the figures
    only (no shares: a previous period's, which only its figures are compared with)."""
    companies, persons = figures.companies, figures.persons
    if not rows:  # a channel's total: its sources' counts summed, no row made for each
        ids = [s.id for s in sources]
        total = ContactRow(
            source=TOTAL,
            companies=sum(companies.get(i, 0) for i in ids),
            persons=sum(persons.get(i, 0) for i in ids),
        )
        if derived:
            total.companies_share = percent(total.companies, total.companies)
            total.persons_share = percent(total.persons, total.persons)
        return Section(rows=[], total=total)
    items = [ContactRow(source=s, companies=companies.get(s.id, 0), persons=persons.get(s.id, 0)) for s in sources]
    total = ContactRow(source=TOTAL, companies=sum(r.companies for r in items), persons=sum(r.persons for r in items))
    if derived:
        for row in [*items, total]:
            row.companies_share = percent(row.companies, total.companies)
            row.persons_share = percent(row.persons, total.persons)
    return Section(rows=items, total=total)


def _open(figures: Figures, sources: list[SourceInfo], *, rows: bool = True, derived: bool = True) -> Section[OpenRow]:
    groups = [(s, figures.open.get(s.id) or MoneyGroup()) for s in sources]
    total_money = MoneyGroup()
    for _, money in groups:
        total_money.merge(money)
    items = []
    for source, money in [*groups, (TOTAL, total_money)] if rows else [(TOTAL, total_money)]:
        row = OpenRow(source=source, count=money.count, value=money.value, unconverted=money.unconverted_list())
        if derived:
            row.count_share = percent(money.count, total_money.count)
            row.value_share = percent(money.cents, total_money.cents)
            row.average = average_cents(money.cents, money.converted_count)
        items.append(row)
    return Section(rows=items[:-1], total=items[-1])


def _closed(
    figures: Figures, sources: list[SourceInfo], *, rows: bool = True, derived: bool = True
) -> Section[ClosedRow]:
    groups = [
        (
            s,
            figures.won.get(s.id) or MoneyGroup(),
            figures.lost.get(s.id) or MoneyGroup(),
            figures.days.get(s.id) or (0, 0),
            [figures.close_days_sorted(s.id)] if derived else [],
            (figures.open.get(s.id) or MoneyGroup()).count,
        )
        for s in sources
    ]
    total_won, total_lost, total_days = MoneyGroup(), MoneyGroup(), [0, 0]
    total_close_days: list[SortedDays] = []  # the median's counts, per source (never merged: median_days_of)
    total_open = 0
    for _, won, lost, days, close_days, still_open in groups:
        total_won.merge(won)
        total_lost.merge(lost)
        total_days[0] += days[0]
        total_days[1] += days[1]
        total_close_days += close_days
        total_open += still_open
    items = []
    totals = (TOTAL, total_won, total_lost, total_days, total_close_days, total_open)
    for source, won, lost, days, close_days, still_open in [*groups, totals] if rows else [totals]:
        row = ClosedRow(
            source=source,
            won_count=won.count,
            won_value=won.value,
            won_unconverted=won.unconverted_list(),
            lost_count=lost.count,
            lost_value=lost.value,
            lost_unconverted=lost.unconverted_list(),
            still_open=still_open,
        )
        if derived:
            row.win_rate = percent(won.count, won.count + lost.count)
            row.win_rate_interval = wilson_interval(won.count, won.count + lost.count)
            row.average_won = average_cents(won.cents, won.converted_count)
            row.average_days = average(days[0], days[1], TENTH)
            row.median_days = median_days_of(close_days)
        items.append(row)
    return Section(rows=items[:-1], total=items[-1])


def _funnel(
    figures: Figures, sources: list[SourceInfo], *, rows: bool = True, derived: bool = True
) -> Section[FunnelRow]:
    companies, persons = figures.companies, figures.persons
    if not rows:  # a channel's total: its sources' counts summed, no row made for each
        ids = [s.id for s in sources]
        total = FunnelRow(
            source=TOTAL,
            contacts=sum(companies.get(i, 0) + persons.get(i, 0) for i in ids),
            with_deal=sum(figures.with_deal.get(i, 0) for i in ids),
            won=sum(figures.won_contacts.get(i, 0) for i in ids),
        )
        if derived:
            _funnel_rates(total)
        return Section(rows=[], total=total)
    items = [
        FunnelRow(
            source=s,
            contacts=companies.get(s.id, 0) + persons.get(s.id, 0),
            with_deal=figures.with_deal.get(s.id, 0),
            won=figures.won_contacts.get(s.id, 0),
        )
        for s in sources
    ]
    total = FunnelRow(
        source=TOTAL,
        contacts=sum(r.contacts for r in items),
        with_deal=sum(r.with_deal for r in items),
        won=sum(r.won for r in items),
    )
    if derived:
        for row in [*items, total]:
            _funnel_rates(row)
    return Section(rows=items, total=total)


def _funnel_rates(row: FunnelRow) -> None:
    row.deal_rate = percent(row.with_deal, row.contacts)
    row.win_rate = percent(row.won, row.with_deal)
    row.overall_rate = percent(row.won, row.contacts)


def _in_channel(sources: list[SourceInfo], filters: StatsFilters) -> list[SourceInfo]:
    """The rows the channel filter keeps: the sources of that channel (or of none), without "No source"."""
    if filters.channel_id is None and not filters.no_channel:
        return sources
    return [s for s in sources if s.known and s.id is not None and s.channel_id == filters.channel_id]


_SHARES: dict[type, tuple[tuple[str, str], ...]] = {
    ContactRow: (("companies_share", "companies"), ("persons_share", "persons")),
    OpenRow: (("count_share", "count"), ("value_share", "value")),
    ClosedRow: (),
    ReturnRow: (),
    FunnelRow: (),
}


# A section's builder, `build(figures, sources, *, rows=True, derived=True)`: the rows for `sources` (none without
# `rows`: a channel's total) and their total, each with its shares, averages and rates (the figures only without
# `derived`: a previous period's, which only its figures are compared with).
_Build = Callable[..., Section[R]]


def _grouped(figures: Figures, sources: list[SourceInfo], build: _Build[R], *, derived: bool = True) -> Section[R]:
    section = build(figures, sources, derived=derived)
    _group_by_channel(section, figures, build, derived=derived)
    return section


def _group_by_channel(section: Section[R], figures: Figures, build: _Build[R], *, derived: bool) -> None:
    """Fill `section.channels`: each channel's totals computed from its sources' figures exactly as the section's
    total is from all of them (the same whole-cent sums, rounded once), in memory: no query, and no row of its
    sources built again. Shares are of the section's total. No groups when no source shown has a channel."""
    real = [row for row in section.rows if row.source.id is not None and row.source.known]
    if not any(row.source.channel_id is not None for row in real):
        return
    order: dict[int | None, SourceInfo] = {}
    members: dict[int | None, list[R]] = {}
    for row in real:
        cid = row.source.channel_id
        if cid not in order:
            order[cid] = channel_info(cid, row.source.channel_name, row.source.channel_position)
        members.setdefault(cid, []).append(row)
    # The admin's order of the channels; "No channel" last.
    keys = sorted(order, key=lambda cid: (cid is None, order[cid].position, cid or 0))
    for cid in keys:
        rows = members[cid]
        channel_total = build(figures, [row.source for row in rows], rows=False, derived=derived).total
        channel_total.source = order[cid]
        if derived:
            for share, figure in _SHARES[type(channel_total)]:
                whole = getattr(section.total, figure)
                setattr(channel_total, share, percent(getattr(channel_total, figure), whole))
        section.channels.append(ChannelGroup(row=channel_total, rows=rows))


_CHANGED_FIELDS: dict[type, tuple[str, ...]] = {
    ContactRow: ("companies", "persons"),
    OpenRow: ("count", "value"),
    ClosedRow: ("won_count", "won_value", "lost_count", "lost_value"),
    FunnelRow: ("contacts", "with_deal", "won"),
}


def _compare(current: Section[R], previous: Section[R]) -> None:
    """Fill each current row's `changes` from the row of the same source in the previous period."""
    before = {row.source.id: row for row in previous.rows}
    pairs = [(row, before.get(row.source.id)) for row in current.rows] + [(current.total, previous.total)]
    # Channel rows by their channel (both periods group the same sources: the catalogue is read once).
    channels_before = {group.row.source.channel_id: group.row for group in previous.channels}
    pairs += [(group.row, channels_before.get(group.row.source.channel_id)) for group in current.channels]
    for row, old in pairs:
        if old is None:
            continue
        if isinstance(row, ReturnRow) and isinstance(old, ReturnRow):
            compare_returns(row, old)  # shared with the campaign rows (stats/campaign_stats.py)
            continue
        for name in _CHANGED_FIELDS[type(row)]:
            row.changes[name] = change(getattr(row, name), getattr(old, name))
        # Win rates change in percentage points, so no relative percent.
        if (
            isinstance(row, ClosedRow)
            and isinstance(old, ClosedRow)
            and row.won_count + row.lost_count
            and old.won_count + old.lost_count  # a rate on both sides (the previous period's are not computed)
        ):
            row.changes["win_rate"] = Change(delta=_rate_change(row, old), percent=None)


def _rate_change(current: ClosedRow, previous: ClosedRow) -> Decimal:
    """The change of the win rate in percentage points, from the exact rates (not the rounded ones shown), rounded
    like every figure: 1 of 3 after 2 of 3 is -33.3 (33.3 - 66.7 would say -33.4).

    won/closed - won'/closed' = (won * closed' - won' * closed) / (closed * closed'), all integers.
    """
    closed, closed_before = current.won_count + current.lost_count, previous.won_count + previous.lost_count
    numerator = current.won_count * closed_before - previous.won_count * closed
    return quotient(numerator, closed * closed_before, TENTH, 100)


def _highlights(closed: Section[ClosedRow], minimum: int) -> tuple[ClosedRow | None, ClosedRow | None, int]:
    """The real source with the highest won value, the one with the best win rate among the sources with at least
    `minimum` closed deals, and how many sources had that many.

    Ties, for both: more closed deals (won and lost) first, then the admin's order of the sources.
    """
    real = [(index, row) for index, row in enumerate(closed.rows) if row.source.id is not None]
    top = max(
        (item for item in real if item[1].won_value > 0),
        key=lambda item: (item[1].won_value, item[1].won_count + item[1].lost_count, -item[0]),
        default=None,
    )

    def exact_rate(row: ClosedRow) -> Decimal:
        return EXACT.divide(Decimal(row.won_count), Decimal(row.won_count + row.lost_count))

    qualified = [item for item in real if item[1].won_count + item[1].lost_count >= max(minimum, 1)]
    best = max(
        qualified,
        key=lambda item: (exact_rate(item[1]), item[1].won_count + item[1].lost_count, -item[0]),
        default=None,
    )
    return (top[1] if top else None), (best[1] if best else None), len(qualified)


def _missing_rates(*sections: Iterable[list[Unconverted]]) -> list[Unconverted]:
    per_currency: dict[str, list[Any]] = {}
    for lists in sections:
        for items in lists:
            for item in items:
                slot = per_currency.setdefault(item.currency, [0, Decimal("0.00")])
                slot[0] += item.count
                slot[1] += item.value
    return [Unconverted(c, n, v) for c, (n, v) in sorted(per_currency.items())]


def _catalogue(account: Account) -> list[SourceInfo]:
    return [
        SourceInfo(
            id=pk,
            name=name,
            archived=archived,
            position=position,
            channel_id=channel_id,
            channel_name=channel_name or "",
            channel_position=channel_position or 0,
        )
        for pk, name, archived, position, channel_id, channel_name, channel_position in _CATALOGUE(
            account_id=account.pk
        )
    ]


def touch_stats(*, account: Account, filters: StatsFilters) -> TouchStats:
    """Records per the source of their first or last touch (`filters.group_by`), and tracked against self-reported,
    for one period. Queries: one read of the touch tallies, then the catalogue."""
    groups = read_touch_tallies(account=account, basis=BASIS[GroupBy(filters.group_by)], period=filters.period)
    return touch_stats_from(groups=groups, catalogue=_catalogue(account), filters=filters, group_by=filters.group_by)


def source_trend(*, account: Account, filters: StatsFilters, by: TrendBy) -> Trend:
    """New contacts and won value per month of the period, per source or channel (stats/trend.py). Queries: the
    exchange rates, one read of the monthly tallies, then the catalogue (read last, as for `source_stats`)."""
    rates = exchange_rates_for(account=account)
    rows = read_trend_tallies(account=account, filters=filters)
    return _trend(account=account, filters=filters, by=by, rows=rows, rates=rates, catalogue=_catalogue(account))


def _trend(
    *,
    account: Account,
    filters: StatsFilters,
    by: TrendBy,
    rows: list[TrendRow],
    rates: dict[str, Decimal],
    catalogue: list[SourceInfo],
) -> Trend:
    sources = _in_channel(_row_sources(catalogue, {row[0] for row in rows}), filters)
    return trend_from(rows=rows, sources=sources, filters=filters, by=by, rates=rates, base_currency=account.currency)


def source_stats_and_trend(
    *, account: Account, filters: StatsFilters, by: TrendBy, campaigns: CampaignScope = EVERY_CAMPAIGN
) -> tuple[SourceStats, Trend]:
    """`source_stats` and `source_trend` as the Statistics page and its exports show them together: the exchange
    rates and the catalogue read once for both (two queries fewer). The trend's tallies are read before the
    catalogue, so each of its sources is in it unless deleted meanwhile (such ids still get a row). `campaigns`: as
    `source_stats`."""
    rates = exchange_rates_for(account=account)
    rows = read_trend_tallies(account=account, filters=filters)
    stats, catalogue = _source_stats(account=account, filters=filters, rates=rates, campaigns=campaigns)
    return stats, _trend(account=account, filters=filters, by=by, rows=rows, rates=rates, catalogue=catalogue)


def source_stats(*, account: Account, filters: StatsFilters, campaigns: CampaignScope = EVERY_CAMPAIGN) -> SourceStats:
    """Contacts, open deals and closed deals per acquisition source for one period (and the one before it).

    Queries: exchange rates; per period one read of the tallies (its whole local months, all of them for all time,
    and the days around them); with an owner filter and days outside whole months, companies, persons, open deals
    and closed deals of those days instead (after the span of the deals' creation times, once, to know the time
    zone's clock changes); for all owners, one read of the spend ledger per period (stats/returns.py), one of the
    campaign tallies for both periods and one of the campaign names (stats/campaign_stats.py); then the
    catalogue (read last, so every source the aggregates saw is in it unless deleted
    meanwhile; such ids still get a row).

    `campaigns` (stats/campaign_stats.py, `CampaignScope`): every source's campaign rows (the default), one source's,
    or only how many campaigns each source lists (`CAMPAIGN_COUNTS`: the campaigns' pairs instead of their sums, the
    same number of queries). `campaign_counts` is filled in every case.
    """
    return _source_stats(
        account=account, filters=filters, rates=exchange_rates_for(account=account), campaigns=campaigns
    )[0]


def _source_stats(
    *, account: Account, filters: StatsFilters, rates: dict[str, Decimal], campaigns: CampaignScope
) -> tuple[SourceStats, list[SourceInfo]]:
    @lru_cache(maxsize=1)
    def created_day() -> Expression:
        # Only a period with days outside whole months reads records, and only then needs the deals' span.
        span = Deal.objects.for_account(account).aggregate(first=Min("created_at"), last=Max("created_at"))
        return local_day("created_at", account.time_zone, *day_bounds(span["first"], span["last"]))

    current = figures_for(account=account, period=filters.period, filters=filters, rates=rates, created_day=created_day)
    previous_period = filters.previous_period
    # The previous period's close days are not read: its medians are not shown (`_closed` without `derived`), and
    # their read is the page's costliest (a compared six months read 12,000 tallies for nothing).
    previous = (
        figures_for(
            account=account,
            period=previous_period,
            filters=filters,
            rates=rates,
            created_day=created_day,
            close_days=False,
        )
        if previous_period is not None
        else None
    )
    # Spend and return: spend has no owner, so not with an owner filter. One query per period (the ledger), before
    # the catalogue so that a source with spend only (an archived one) still gets its row.
    spent = spent_before = None
    spent_raw: dict[SpendKey, tuple[int, Decimal]] = {}
    spent_raw_before: dict[SpendKey, tuple[int, Decimal]] = {}
    if filters.owner_id is None and not filters.unowned:
        spent_raw = spend_read(account=account, period=filters.period)
        spent = spend_groups_from(spent_raw, rates)
        if previous_period is not None:
            spent_raw_before = spend_read(account=account, period=previous_period)
            spent_before = spend_groups_from(spent_raw_before, rates)
    catalogue = _catalogue(account)
    used = current.source_ids() | (previous.source_ids() if previous else set())
    used |= set(spent or ()) | set(spent_before or ())
    sources = _in_channel(_row_sources(catalogue, used), filters)

    contacts = _grouped(current, sources, _contacts)
    funnel = _grouped(current, sources, _funnel)
    open_deals = _grouped(current, sources, _open)
    closed_deals = _grouped(current, sources, _closed)
    if previous is not None:
        # The previous period's figures only: its shares, averages and rates are not shown.
        _compare(contacts, _grouped(previous, sources, _contacts, derived=False))
        _compare(funnel, _grouped(previous, sources, _funnel, derived=False))
        _compare(open_deals, _grouped(previous, sources, _open, derived=False))
        _compare(closed_deals, _grouped(previous, sources, _closed, derived=False))
    top, best, qualified = _highlights(closed_deals, account.stats_min_closed)
    returns = None
    spend_missing: list[Unconverted] = []
    campaign_table: dict[int | None, list[CampaignRow]] = {}
    counts: dict[int | None, int] = {}
    if spent is not None:
        returns = _grouped(current, sources, returns_builder(spent))
        if previous is not None and spent_before is not None:
            _compare(returns, _grouped(previous, sources, returns_builder(spent_before), derived=False))
        spend_missing = _missing_rates([returns.total.spend_unconverted])
        # The drill-down to campaigns (stats/campaign_stats.py): two more queries, the campaign tallies (both periods
        # in one) and names.
        compared = previous if spent_before is not None else None
        periods = [filters.period] if compared is None else [filters.period, previous_period]
        if not campaigns.rows:
            # Only how many campaigns each source lists: the (source, campaign) pairs with records, not their sums.
            pairs = read_campaign_pairs(account=account, periods=periods)
            spent_pairs = [(source_id, campaign_id) for source_id, campaign_id, _currency in spent_raw]
            spent_pairs += [(source_id, campaign_id) for source_id, campaign_id, _currency in spent_raw_before]
            counts = campaign_counts(
                returns=returns, pairs=[*pairs, *spent_pairs], catalogue=campaign_catalogue(account=account)
            )
        else:
            groups = read_campaign_groups(account=account, periods=periods, source_id=campaigns.source_id)
            campaign_table = campaign_rows(
                returns=returns,
                current=CampaignPeriod(figures=current, groups=groups[0], spend=campaign_spend(spent_raw, rates)),
                previous=None
                if compared is None
                else CampaignPeriod(figures=compared, groups=groups[1], spend=campaign_spend(spent_raw_before, rates)),
                catalogue=campaign_catalogue(account=account),
                rates=rates,
                only=campaigns.source_id,
            )
            counts = {source_id: len(rows) - 1 for source_id, rows in campaign_table.items()}
    stats = SourceStats(
        base_currency=account.currency,
        filters=filters,
        period=filters.period,
        previous_period=previous_period,
        contacts=contacts,
        open_deals=open_deals,
        closed_deals=closed_deals,
        missing_rates=_missing_rates(
            [open_deals.total.unconverted],
            [closed_deals.total.won_unconverted],
            [closed_deals.total.lost_unconverted],
        ),
        top_won_value=top,
        best_win_rate=best,
        win_rate_minimum=account.stats_min_closed,
        win_rate_qualified=qualified,
        returns=returns,
        spend_missing_rates=spend_missing,
        campaigns=campaign_table,
        campaign_counts=counts,
        funnel=funnel,
    )
    return stats, catalogue


def _no_records() -> Expression:
    raise AssertionError("a period for all owners is read from the tallies only")


def won_summary(*, account: Account, period: DateRange) -> WonSummary:
    """What the account won in `period` (the dashboard's "won in the last 30 days"), the same figure to the cent as
    the Statistics page's total for that period: the same tallies, exchange rates and rounding. Two queries."""
    rates = exchange_rates_for(account=account)
    figures = figures_for(
        account=account,
        period=period,
        filters=StatsFilters(period=period),
        rates=rates,
        created_day=_no_records,
        close_days=False,
    )
    total = MoneyGroup()
    for money in figures.won.values():
        total.merge(money)
    return WonSummary(
        period=period,
        base_currency=account.currency,
        count=total.count,
        value=total.value,
        unconverted=total.unconverted_list(),
    )


def tallies_exact_or_refuse(*, account: Account) -> None:
    """For readers without a page to show the progress on (the API, the exports): refuse while the tallies are not
    exact for the account's time zone, rather than answer with figures of the old zone."""
    job = tallies_rebuild_unfinished(account=account)
    if job is None:
        return
    if job.shown_state() == JobState.FAILED:
        raise Unavailable(
            gettext(
                "The statistics are not exact: their recomputation for the account's new time zone failed. An admin "
                "can run it again from the Statistics page."
            ),
            retry_after=60,
        )
    raise Unavailable(
        gettext("The statistics are being recomputed for the account's new time zone; try again in a few seconds."),
        retry_after=5,
    )


def tallies_rebuild_unfinished(*, account: Account) -> Job | None:
    """The account's last recomputation of the tallies when it is not done (queued, running, failed or stale): its
    tallies are then not exact for the account's time zone. None when they are (or none was ever needed)."""
    job = job_latest(account=account, kind=TALLIES_REBUILD)
    if job is None or job.shown_state() == JobState.DONE:
        return None
    return job
