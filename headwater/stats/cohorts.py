"""Statistics > Cohorts: for each month, the spend of that month, the contacts created in it and the value their
deals have won since, month by month after. docs/statistics.md, "Cohorts".

Everything comes from tallies and the spend ledger, never from the records: the cohort tallies (`CohortTally`,
kept by `stats/cohort_sql.py`), the monthly contact tallies (`SourceTally`'s COMPANY and PERSON kinds for all
owners), one read of the spend entries reaching into the range, the rates and the source catalogue. Five queries,
whatever the number of sources, months or deals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from headwater.core.dates import account_today
from headwater.core.models import Account
from headwater.spend.models import SpendEntry
from headwater.spend.periods import spread
from headwater.stats.forms import NO_CHANNEL
from headwater.stats.models import ALL_OWNERS, CohortTally, SourceTally, TallyKind
from headwater.stats.money import CENT, EXACT, TENTH, MoneyGroup, exchange_rates_for, quotient
from headwater.stats.results import SourceInfo, Unconverted
from headwater.stats.selectors import _catalogue

DEFAULT_MONTHS = 12
MAX_MONTHS = 60
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_CLOSED = (TallyKind.WON, TallyKind.LOST, TallyKind.WON_UNDATED, TallyKind.LOST_UNDATED)


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_of(index: int) -> dt.date:
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, 1)


def _month_end(month: dt.date) -> dt.date:
    return month_of(month_index(month) + 1) - dt.timedelta(days=1)


# --- Filters --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortFilters:
    """The cohort months shown (first days of `first` to `last`), and one source or one channel (None: all)."""

    first: dt.date
    last: dt.date
    source_id: int | None = None
    channel_id: int | None = None
    no_channel: bool = False

    @property
    def months(self) -> int:
        return month_index(self.last) - month_index(self.first) + 1


class MonthField(forms.Field):
    """A month as YYYY-MM (what `<input type="month">` sends), years 1900 to 2999."""

    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, e.g. 2026-11.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "maxlength": "7"})
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.date | None:
        text = str(value or "").strip()
        if not text:
            return None
        match = _MONTH.fullmatch(text)
        if match is None or not 1900 <= int(match[1]) <= 2999 or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return dt.date(int(match[1]), int(match[2]), 1)

    def prepare_value(self, value: Any) -> Any:
        return value.strftime("%Y-%m") if isinstance(value, dt.date) else value


class CohortFilterForm(forms.Form):
    """The months (default: the last 12, this one included), a source and a channel; the page's, the export's and
    the API's parameters (`start`, `end`, `source_id`, `channel`)."""

    start = MonthField(label=_("From month"), required=False)
    end = MonthField(label=_("To month"), required=False)
    source_id = forms.ChoiceField(label=_("Source"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)

    def __init__(
        self, data: Mapping[str, Any] | None, *, account: Account, catalogue: list[SourceInfo], today: dt.date | None
    ) -> None:
        super().__init__(data)
        self.account = account
        self.catalogue = catalogue
        self.today = today or account_today(account)
        source: forms.ChoiceField = self.fields["source_id"]  # type: ignore[assignment]  # declared above
        source.choices = [("", _("All sources")), *((str(s.id), s.name) for s in catalogue)]
        channels: dict[int, str] = {}
        for info in catalogue:
            if info.channel_id is not None:
                channels.setdefault(info.channel_id, info.channel_name)
        channel: forms.ChoiceField = self.fields["channel"]  # type: ignore[assignment]  # declared above
        channel.choices = [
            ("", _("All channels")),
            *((str(pk), name) for pk, name in channels.items()),
            (NO_CHANNEL, _("No channel")),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        this_month = self.today.replace(day=1)
        end = data.get("end") or (this_month if "end" not in self.errors else None)
        start = data.get("start")
        if start is None and end is not None and "start" not in self.errors:
            start = month_of(month_index(end) - DEFAULT_MONTHS + 1)
        if start is not None and end is not None:
            if start > end:
                self.add_error("end", _("The last month cannot be before the first month."))
            elif month_index(end) - month_index(start) + 1 > MAX_MONTHS:
                self.add_error("start", _("Show at most %(months)d months at once.") % {"months": MAX_MONTHS})
        data["start"], data["end"] = start, end
        if data.get("source_id") and data.get("channel"):
            self.add_error("channel", _("Choose a source or a channel, not both."))
        return data

    def filters(self) -> CohortFilters:
        """The validated filters; call only after is_valid()."""
        data = self.cleaned_data
        channel = data.get("channel") or ""
        source = data.get("source_id") or ""
        return CohortFilters(
            first=data["start"],
            last=data["end"],
            source_id=int(source) if source else None,
            channel_id=int(channel) if channel and channel != NO_CHANNEL else None,
            no_channel=channel == NO_CHANNEL,
        )

    def source_label(self) -> str:
        choices = dict(getattr(self.fields["source_id"], "choices", []))
        value = self.cleaned_data.get("source_id") or ""
        return str(choices.get(value, "")) if value else ""

    def channel_label(self) -> str:
        choices = dict(getattr(self.fields["channel"], "choices", []))
        value = self.cleaned_data.get("channel") or ""
        return str(choices.get(value, "")) if value else ""


def cohort_filter_form(
    data: Mapping[str, Any] | None, *, account: Account, today: dt.date | None = None
) -> CohortFilterForm:
    """The form with its choices (one query: the source catalogue, which also gives the channels)."""
    return CohortFilterForm(data, account=account, catalogue=_catalogue(account), today=today)


# --- Figures --------------------------------------------------------------------------------------------


@dataclass
class CohortRow:
    """One cohort month. `won` holds the won value to the end of month 0, 1, 2 ... after the cohort month
    (cumulative; None for months not reached yet); `won_total` includes deals won without a close day."""

    month: dt.date
    spend: Decimal = Decimal("0.00")
    spend_unconverted: list[Unconverted] = field(default_factory=list)
    contacts: int = 0
    deals: int = 0
    open_deals: int = 0
    won_deals: int = 0
    lost_deals: int = 0
    won: list[Decimal | None] = field(default_factory=list)
    won_total: Decimal = Decimal("0.00")
    won_unconverted: list[Unconverted] = field(default_factory=list)
    cost_per_contact: Decimal | None = None
    roi: Decimal | None = None
    roas: Decimal | None = None

    @property
    def closed_deals(self) -> int:
        return self.won_deals + self.lost_deals

    @property
    def immature(self) -> bool:
        """More of the cohort's deals still open than closed (won or lost)."""
        return self.open_deals > self.closed_deals


@dataclass
class CohortTable:
    filters: CohortFilters
    base_currency: str
    rows: list[CohortRow]
    total: CohortRow
    ages: int  # the month columns: 0 .. ages - 1
    top_value: Decimal  # the largest won cell (the heat map's scale)
    today: dt.date

    def level(self, value: Decimal | None) -> int:
        """The heat map's shade of a won cell: 0 (nothing) to 5 (the table's largest)."""
        if value is None or value <= 0 or self.top_value <= 0:
            return 0
        return max(1, int(quotient(value * 5, self.top_value, Decimal(1))))


def _source_keys(filters: CohortFilters, catalogue: list[SourceInfo]) -> set[int] | None:
    """The source keys the filter keeps (None: all, "No source" included)."""
    if filters.source_id is not None:
        return {filters.source_id}
    if filters.channel_id is None and not filters.no_channel:
        return None
    return {s.id for s in catalogue if s.id is not None and s.channel_id == filters.channel_id}


def _spend_by_month(
    *, account: Account, filters: CohortFilters, keys: set[int] | None
) -> dict[int, dict[str, Decimal]]:
    """The spend of each month of the range per currency, unrounded (entries spread evenly over their days,
    spend.periods.spread). One query."""
    first, last = filters.first, _month_end(filters.last)
    rows = SpendEntry.objects.for_account(account).filter(end_date__gte=first, start_date__lte=last)
    if keys is not None:
        rows = rows.filter(source_id__in=sorted(keys))
    spent: dict[int, dict[str, Decimal]] = {}
    columns = ("currency", "start_date", "end_date", "amount")
    for currency, start, end, amount in rows.order_by().values_list(*columns):
        exact = Decimal(amount).quantize(CENT)
        for index in range(max(month_index(start), month_index(first)), min(month_index(end), month_index(last)) + 1):
            month = month_of(index)
            part = spread(exact, start, end, month, _month_end(month))
            slot = spent.setdefault(index, {})
            slot[currency] = EXACT.add(slot.get(currency, Decimal(0)), part)
    return spent


def _with_ratios(row: CohortRow) -> None:
    if row.spend <= 0:
        return
    row.cost_per_contact = quotient(row.spend, row.contacts, CENT) if row.contacts else None
    row.roi = quotient(row.won_total - row.spend, row.spend, TENTH, 100)
    row.roas = quotient(row.won_total, row.spend, CENT)


Cells = dict[int, dict[tuple[int, int, str], list[int]]]  # cohort -> (kind, close month, currency) -> [n, cents]


def _read(*, account: Account, filters: CohortFilters, keys: set[int] | None) -> tuple[Cells, dict[int, int]]:
    """The cohort tallies of the months (one query) and the contacts created in each month (one query)."""
    first, last = filters.first, filters.last
    tallies = CohortTally.objects.for_account(account).filter(cohort__gte=first, cohort__lte=last)
    contacts_qs = SourceTally.objects.for_account(account).filter(
        owner_key=ALL_OWNERS, kind__in=(TallyKind.COMPANY, TallyKind.PERSON), bucket__gte=first, bucket__lte=last
    )
    if keys is not None:
        tallies = tallies.filter(source_key__in=sorted(keys))
        contacts_qs = contacts_qs.filter(source_key__in=sorted(keys))
    cells: Cells = {}
    for cohort, kind, bucket, currency, n, cents in (
        tallies.order_by()
        .values_list("cohort", "kind", "bucket", "currency")
        .annotate(count=Sum("n"), total=Sum("cents"))
        .values_list("cohort", "kind", "bucket", "currency", "count", "total")
    ):
        slot = cells.setdefault(month_index(cohort), {}).setdefault((int(kind), month_index(bucket), currency), [0, 0])
        slot[0] += int(n)
        slot[1] += int(cents)
    contacts: dict[int, int] = {}
    for bucket, n in (
        contacts_qs.order_by().values_list("bucket").annotate(count=Sum("n")).values_list("bucket", "count")
    ):
        contacts[month_index(bucket)] = contacts.get(month_index(bucket), 0) + int(n)
    return cells, contacts


def _converted(per_currency: Mapping[str, int], rates: Mapping[str, Decimal]) -> MoneyGroup:
    """Cents per currency, each currency's sum converted at its rate and rounded to the cent once."""
    group = MoneyGroup()
    for currency, cents in sorted(per_currency.items()):
        group.add(currency=currency, count=0, total=Decimal(cents).scaleb(-2), rates=rates)
    return group


def _row(
    *,
    index: int,
    cells: dict[tuple[int, int, str], list[int]],
    spend: MoneyGroup,
    contacts: int,
    ages: int,
    now: int,
    rates: Mapping[str, Decimal],
) -> tuple[CohortRow, MoneyGroup]:
    """One cohort's row, and its won value as a money group (for the total)."""
    row = CohortRow(month=month_of(index), contacts=contacts, spend=spend.value)
    row.spend_unconverted = spend.unconverted_list()
    won_by_age: dict[int, dict[str, int]] = {}
    won_all: dict[str, int] = {}
    for (kind, bucket, currency), (n, cents) in cells.items():
        row.deals += n
        if kind == TallyKind.OPEN:
            row.open_deals += n
            continue
        if kind in (TallyKind.LOST, TallyKind.LOST_UNDATED):
            row.lost_deals += n
            continue
        row.won_deals += n
        won_all[currency] = won_all.get(currency, 0) + cents
        if kind == TallyKind.WON:
            # A deal closed before its contact's month (a contact linked later) counts in month 0.
            per = won_by_age.setdefault(max(0, bucket - index), {})
            per[currency] = per.get(currency, 0) + cents
    won = _converted(won_all, rates)
    row.won_total, row.won_unconverted = won.value, won.unconverted_list()
    running: dict[str, int] = {}
    for age in range(ages):
        if index + age > now:
            row.won.append(None)
            continue
        for currency, cents in won_by_age.get(age, {}).items():
            running[currency] = running.get(currency, 0) + cents
        row.won.append(_converted(running, rates).value)
    _with_ratios(row)
    return row, won


def cohort_table(*, account: Account, filters: CohortFilters, catalogue: list[SourceInfo] | None = None) -> CohortTable:
    """The cohort rows of the filters' months. Queries: the catalogue (unless given), the rates, the cohort tallies,
    the contact tallies, the spend ledger."""
    catalogue = _catalogue(account) if catalogue is None else catalogue
    rates = exchange_rates_for(account=account)
    keys = _source_keys(filters, catalogue)
    today = account_today(account)
    now = month_index(today)
    cells, contacts = _read(account=account, filters=filters, keys=keys)
    spent = _spend_by_month(account=account, filters=filters, keys=keys)
    # The month columns: as many as the range has months, fewer when its first cohort is younger than that.
    ages = max(1, min(filters.months, now - month_index(filters.first) + 1))
    rows: list[CohortRow] = []
    total = CohortRow(month=filters.first)
    total_spend, total_won = MoneyGroup(), MoneyGroup()
    for index in range(month_index(filters.first), month_index(filters.last) + 1):
        spend = MoneyGroup()
        for currency, exact in sorted(spent.get(index, {}).items()):
            rounded = exact.quantize(CENT, rounding=ROUND_HALF_UP, context=EXACT)
            spend.add(currency=currency, count=1, total=rounded, rates=rates)
        row, won = _row(
            index=index,
            cells=cells.get(index, {}),
            spend=spend,
            contacts=contacts.get(index, 0),
            ages=ages,
            now=now,
            rates=rates,
        )
        rows.append(row)
        total_spend.merge(spend)
        total_won.merge(won)
        total.contacts += row.contacts
        total.deals += row.deals
        total.open_deals += row.open_deals
        total.won_deals += row.won_deals
        total.lost_deals += row.lost_deals
    total.spend, total.spend_unconverted = total_spend.value, total_spend.unconverted_list()
    total.won_total, total.won_unconverted = total_won.value, total_won.unconverted_list()
    _with_ratios(total)
    top = max((value for row in rows for value in row.won if value is not None), default=Decimal(0))
    return CohortTable(
        filters=filters,
        base_currency=account.currency,
        rows=rows,
        total=total,
        ages=ages,
        top_value=top,
        today=today,
    )
