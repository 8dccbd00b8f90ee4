"""Spend and return per source: what each source cost in the period (the spend ledger, spread by days) set against
the contacts, deals and won value the page already counts for it. docs/statistics.md, "Spend and return".

The spend is read once per period (`spend.selectors.spend_in_period`: one query over the ledger, never over the
records); everything else comes from the period's `Figures`, so the query count does not grow with the sources.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from headwater.core.models import Account
from headwater.spend.selectors import SpendKey, spend_in_period
from headwater.stats.figures import Figures
from headwater.stats.filters import DateRange
from headwater.stats.money import CENT, EXACT, TENTH, MoneyGroup, change, quotient
from headwater.stats.results import TOTAL, Change, ReturnRow, Section, SourceInfo

_Row = TypeVar("_Row", bound=ReturnRow)

SpendGroups = dict[int, MoneyGroup]  # by source id; `count` is the number of entries


def spend_read(*, account: Account, period: DateRange | None) -> dict[SpendKey, tuple[int, Decimal]]:
    """The period's spend per (source, campaign, currency), unrounded (spend.selectors.spend_in_period). One query."""
    first, last = (period.start, period.end) if period is not None else (None, None)
    return spend_in_period(account=account, first=first, last=last)


def spend_groups_from(spent: Mapping[SpendKey, tuple[int, Decimal]], rates: Mapping[str, Decimal]) -> SpendGroups:
    """Each source's spend of the period: the spread parts of its entries summed per currency, that sum rounded half
    up to the cent once, then converted at the account's rate and rounded to the cent (stats.money.MoneyGroup); a
    currency without a rate is kept apart."""
    counts: dict[tuple[int, str], int] = {}
    sums: dict[tuple[int, str], Decimal] = {}
    for (source_id, _campaign_id, currency), (count, exact) in spent.items():
        key = (source_id, currency)
        counts[key] = counts.get(key, 0) + count
        sums[key] = EXACT.add(sums.get(key, Decimal(0)), exact)
    groups: SpendGroups = {}
    for (source_id, currency), exact in sums.items():
        total = exact.quantize(CENT, rounding=ROUND_HALF_UP, context=EXACT)
        groups.setdefault(source_id, MoneyGroup()).add(
            currency=currency, count=counts[(source_id, currency)], total=total, rates=rates
        )
    return groups


def returns_builder(spend: SpendGroups) -> Callable[..., Section[ReturnRow]]:
    """A section builder (as selectors' `_contacts`, `_open`, `_closed`) over the period's spend: the rows (none
    without `rows`) and their total, with their ratios (without `derived`, the figures only)."""

    def build(
        figures: Figures, sources: list[SourceInfo], *, rows: bool = True, derived: bool = True
    ) -> Section[ReturnRow]:
        spent = [spend.get(s.id) if s.id is not None else None for s in sources]
        if not rows:  # a channel's total: its sources' figures summed, no row made for each
            total = _sum_figures(figures, [s.id for s in sources], spent)
            return Section(rows=[], total=with_ratios(total) if derived else total)
        items = [_row(source, figures, money, ratios=derived) for source, money in zip(sources, spent, strict=True)]
        total = _sum_rows(items, spent)
        return Section(rows=items, total=with_ratios(total) if derived else total)

    return build


def _row(source: SourceInfo, figures: Figures, spent: MoneyGroup | None, *, ratios: bool) -> ReturnRow:
    money = spent or MoneyGroup()
    won = figures.won.get(source.id) or MoneyGroup()
    lost = figures.lost.get(source.id) or MoneyGroup()
    opened = figures.open.get(source.id) or MoneyGroup()
    row = ReturnRow(
        source=source,
        spend=money.value,
        spend_unconverted=money.unconverted_list(),
        contacts=figures.companies.get(source.id, 0) + figures.persons.get(source.id, 0),
        deals=opened.count + won.count + lost.count,
        won_count=won.count,
        won_value=won.value,
    )
    return with_ratios(row) if ratios else row


def _sum_rows(rows: list[ReturnRow], spent: list[MoneyGroup | None]) -> ReturnRow:
    money = MoneyGroup()
    for group in spent:
        if group is not None:
            money.merge(group)
    return ReturnRow(
        source=TOTAL,
        spend=money.value,
        spend_unconverted=money.unconverted_list(),
        contacts=sum(row.contacts for row in rows),
        deals=sum(row.deals for row in rows),
        won_count=sum(row.won_count for row in rows),
        won_value=sum((row.won_value for row in rows), Decimal("0.00")),
    )


def _sum_figures(figures: Figures, ids: list[int | None], spent: list[MoneyGroup | None]) -> ReturnRow:
    """`_sum_rows` of the rows `_row` would make for `ids`, from the figures directly (a channel's total)."""
    empty = MoneyGroup()
    won = [figures.won.get(i) or empty for i in ids]
    companies, persons = figures.companies, figures.persons
    opened, lost = figures.open, figures.lost
    total = _sum_rows([], spent)
    total.contacts = sum(companies.get(i, 0) + persons.get(i, 0) for i in ids)
    total.deals = sum((opened.get(i) or empty).count + (lost.get(i) or empty).count for i in ids)
    total.won_count = sum(money.count for money in won)
    total.deals += total.won_count
    total.won_value = sum((money.value for money in won), Decimal("0.00"))
    return total


def with_ratios(row: _Row) -> _Row:
    """The ratios of a row from its exact figures, each rounded half up once; none without (converted) spend, and a
    cost per contact, deal or won deal only when there is one."""
    spend = row.spend
    if spend <= 0:
        return row
    row.cost_per_contact = quotient(spend, row.contacts, CENT) if row.contacts else None
    row.cost_per_deal = quotient(spend, row.deals, CENT) if row.deals else None
    row.cost_per_won = quotient(spend, row.won_count, CENT) if row.won_count else None
    row.roi = quotient(row.won_value - spend, spend, TENTH, 100)
    row.roas = quotient(row.won_value, spend, CENT)
    return row


def roi_change(current: ReturnRow, previous: ReturnRow) -> Change | None:
    """The change of the ROI in percentage points, from the exact ratios (not the rounded ones shown); None when
    either period has no spend. (w1 - s1)/s1 - (w0 - s0)/s0 = (w1 * s0 - w0 * s1) / (s1 * s0)."""
    if current.spend <= 0 or previous.spend <= 0:
        return None
    numerator = current.won_value * previous.spend - previous.won_value * current.spend
    return Change(delta=quotient(numerator, current.spend * previous.spend, TENTH, 100), percent=None)


def compare_returns(current: ReturnRow, previous: ReturnRow) -> None:
    """Fill a row's `changes` against the same row of the previous period: the spend (and its percent), and the ROI
    in percentage points when both periods have spend. The same for a source, a channel, the total and a campaign."""
    current.changes["spend"] = change(current.spend, previous.spend)
    roi = roi_change(current, previous)
    if roi is not None:
        current.changes["roi"] = roi
