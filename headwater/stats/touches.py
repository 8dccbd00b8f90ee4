"""Statistics grouped by a record's first or last touch: the records tracked visits brought, per the source the
touch resolved to, and that source against the one the lead named (self-reported).

Read from the touch tallies (`capture.TouchTally`, kept by triggers): one query per request whatever the number of
touches, like the record statistics' tallies. Counts only, exact integers; percentages rounded once, half up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection

from headwater.capture import tally_sql as touch_tally_sql
from headwater.capture.models import TouchBasis
from headwater.core.models import Account
from headwater.stats.filters import DateRange, GroupBy, StatsFilters
from headwater.stats.money import percent
from headwater.stats.periods import split_period
from headwater.stats.results import TOTAL, SourceInfo

BASIS = {GroupBy.FIRST_TOUCH: TouchBasis.FIRST, GroupBy.LAST_TOUCH: TouchBasis.LAST}
_KINDS = (touch_tally_sql.COMPANY, touch_tally_sql.PERSON, touch_tally_sql.DEAL)


@dataclass
class TouchRow:
    """One source's records by touch. `source.id` None: the touches no rule gave a source (or the total row)."""

    source: SourceInfo
    companies: int = 0
    persons: int = 0
    deals: int = 0
    persons_share: Decimal | None = None
    # Persons whose touch resolved to the source, persons who named it, both (None for "No source"), and both
    # over the tracked persons of the row who named any source, in percent.
    tracked: int = 0
    reported: int = 0
    agree: int | None = 0
    answered: int = 0
    agreement: Decimal | None = None


@dataclass
class TouchStats:
    group_by: str
    period: DateRange | None
    filters: StatsFilters
    rows: list[TouchRow] = field(default_factory=list)
    total: TouchRow = field(default_factory=lambda: TouchRow(source=TOTAL))


def read_touch_tallies(*, account: Account, basis: int, period: DateRange | None) -> list[tuple[int, int, int, int]]:
    """(record kind, source_key, reported_key, count) over the period: its whole months from the monthly tallies,
    the days around them from the daily ones; all months for all time. One query, scoped by the account."""
    conditions: list[str] = []
    params: list[Any] = [account.pk, basis]

    def wanted(kinds: tuple[int, ...], first: dt.date | None, last: dt.date | None) -> None:
        condition = "kind IN (" + ", ".join(str(int(k)) for k in kinds) + ")"
        if first is not None and last is not None:
            condition += " AND bucket >= %s AND bucket <= %s"
            params.extend([first, last] if connection.vendor == "postgresql" else [first.isoformat(), last.isoformat()])
        conditions.append(f"({condition})")

    if period is None:
        wanted(_KINDS, None, None)
    else:
        split = split_period(period)
        if split.months is not None:
            wanted(_KINDS, *split.months)
        for edge in split.edges:
            wanted(tuple(k + touch_tally_sql.DAILY for k in _KINDS), edge.start, edge.end)
    sql = (
        "SELECT kind, source_key, reported_key, SUM(n) "  # noqa: S608 — constants and placeholders only
        f"FROM {touch_tally_sql.TABLE} WHERE account_id = %s AND basis = %s AND ({' OR '.join(conditions)}) "
        "GROUP BY kind, source_key, reported_key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(k) % touch_tally_sql.DAILY, int(s), int(r), int(n)) for k, s, r, n in cursor.fetchall()]


def touch_stats_from(
    *, groups: list[tuple[int, int, int, int]], catalogue: list[SourceInfo], filters: StatsFilters, group_by: str
) -> TouchStats:
    """The rows in the catalogue's order from the summed tally groups; "No source" last (left out by a channel
    filter, like the record statistics)."""
    counts: dict[int, dict[int | None, int]] = {kind: defaultdict(int) for kind in _KINDS}
    reported: dict[int | None, int] = defaultdict(int)
    agree: dict[int, int] = defaultdict(int)
    answered: dict[int | None, int] = defaultdict(int)
    for kind, source_key, reported_key, n in groups:
        source_id = source_key or None
        counts[kind][source_id] += n
        if kind != touch_tally_sql.PERSON:
            continue
        reported[reported_key or None] += n
        if reported_key:
            answered[source_id] += n
            if reported_key == source_key:
                agree[source_key] += n
    used = {key for part in counts.values() for key, n in part.items() if n} | {k for k, n in reported.items() if n}
    seen = {s.id for s in catalogue}
    sources = [s for s in catalogue if not s.archived or s.id in used]
    sources += [SourceInfo(id=sid, known=False) for sid in sorted(i for i in used if i is not None and i not in seen)]
    if filters.channel_id is not None or filters.no_channel:
        sources = [s for s in sources if s.known and s.channel_id == filters.channel_id]
    else:
        sources.append(SourceInfo(id=None))
    rows = []
    for source in sources:
        sid = source.id
        rows.append(
            TouchRow(
                source=source,
                companies=counts[touch_tally_sql.COMPANY].get(sid, 0),
                persons=counts[touch_tally_sql.PERSON].get(sid, 0),
                deals=counts[touch_tally_sql.DEAL].get(sid, 0),
                tracked=counts[touch_tally_sql.PERSON].get(sid, 0),
                reported=reported.get(sid, 0),
                agree=None if sid is None else agree.get(sid, 0),
                answered=answered.get(sid, 0),
            )
        )
    total = TouchRow(
        source=TOTAL,
        companies=sum(r.companies for r in rows),
        persons=sum(r.persons for r in rows),
        deals=sum(r.deals for r in rows),
        tracked=sum(r.tracked for r in rows),
        reported=sum(r.reported for r in rows),
        agree=sum(r.agree or 0 for r in rows),
        answered=sum(r.answered for r in rows if r.source.id is not None),
    )
    for row in [*rows, total]:
        row.persons_share = percent(row.persons, total.persons)
        row.agreement = None if row.agree is None else percent(row.agree, row.answered)
    return TouchStats(group_by=group_by, period=filters.period, filters=filters, rows=rows, total=total)
