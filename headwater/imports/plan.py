"""One row of the file turned into the records it holds: each mapped cell parsed into its field's value (values.py),
the row's owner and source resolved, and every problem named with its column and reason.

Used by the preview (step 5), the rejected-rows file and the run (step 6): all three read a row the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from headwater.campaigns.models import Campaign
from headwater.core.currencies import is_currency
from headwater.core.models import Account
from headwater.core.text import fold, name_key, normalise_spaces
from headwater.deals.models import DealStatus
from headwater.imports import reading, values
from headwater.imports.columns import target_by_key
from headwater.imports.models import Import
from headwater.imports.services import import_file_path, overrides_of
from headwater.records.registry import record_kinds
from headwater.sources.models import Source
from headwater.sources.selectors import MatchKind, source_match_values
from headwater.users.models import Membership

KINDS = ("company", "person", "deal")
# What a status cell may say, folded: the stored value, English and Polish words.
_STATUSES = {
    "open": DealStatus.OPEN,
    "otwarta": DealStatus.OPEN,
    "otwarty": DealStatus.OPEN,
    "w toku": DealStatus.OPEN,
    "won": DealStatus.WON,
    "wygrana": DealStatus.WON,
    "wygrany": DealStatus.WON,
    "lost": DealStatus.LOST,
    "przegrana": DealStatus.LOST,
    "przegrany": DealStatus.LOST,
    "utracona": DealStatus.LOST,
}
for _each in DealStatus:
    _STATUSES.setdefault(fold(str(_each.label)), _each)


@dataclass
class RowProblem:
    number: int
    column: str
    reason: str


@dataclass(slots=True)  # one per row of the file: no __dict__ of its own to make and free
class RowPlan:
    number: int
    cells: tuple[reading.CellValue, ...]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> field -> value
    owner_id: int | None = None
    source_value: str = ""  # the raw source cell ("" when empty or unmapped)
    campaign_id: int | None = None  # the row's campaign, of the row's source (or giving the row its source)
    campaign_source_id: int | None = None
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def _max_lengths() -> dict[str, dict[str, int]]:
    lengths: dict[str, dict[str, int]] = {}
    for kind in record_kinds():
        lengths[kind.noun] = {
            f.name: int(f.max_length or 0)
            for f in kind.model._meta.concrete_fields
            if getattr(f, "max_length", None) and f.get_internal_type() in ("CharField", "EmailField")
        }
    return lengths


@dataclass
class Context:
    """What reading a row needs from outside it, read once per import."""

    import_: Import
    columns: list[str]
    mapping: list[tuple[int, str]]  # (column index, target key) of the mapped columns
    owners: dict[str, int]  # folded e-mail or name -> user id
    default_owner_id: int | None
    currency: str
    lengths: dict[str, dict[str, int]]
    account: Account | None = None
    sources_enabled: bool = True
    # The account's campaigns by their name's key (names repeat from one source to another): (id, source id, name,
    # archived); and the sources' names, for the messages.
    campaigns: dict[str, list[tuple[int, int, str, bool]]] = field(default_factory=dict)
    source_names: dict[int, str] = field(default_factory=dict)
    resolved_sources: dict[str, int | None] = field(default_factory=dict)  # source cell -> its source, read once
    # The mapped columns with their parsers (`_cells`), worked out on the first row.
    cells: list[tuple[int, str, str, str, Callable[[reading.CellValue, str], Any], str]] | None = None

    def source_of(self, value: str) -> int | None:
        """The source a source cell gives the row: the user's choice (step 3), else its certain match, as the run
        reads it (run._Writer._row_source)."""
        if value not in self.resolved_sources:
            chosen = self.import_.source_choices.get(value)
            if isinstance(chosen, dict):
                source_id = chosen.get("source")
                self.resolved_sources[value] = source_id if source_id in self.source_names else None
            elif self.account is not None:
                match = source_match_values(account=self.account, values={value: 1}, fuzzy=False)[0]
                certain = match.kind in (MatchKind.EXACT, MatchKind.ALIAS, MatchKind.FOLDED)
                self.resolved_sources[value] = match.source.pk if certain and match.source is not None else None
            else:
                self.resolved_sources[value] = None
        return self.resolved_sources[value]

    @property
    def maps_source(self) -> bool:
        return any(key == "source" for _i, key in self.mapping)


def context_for(*, account: Account, import_: Import, default_owner_id: int | None) -> Context:
    known = target_by_key()
    mapping = [(i, key) for i, key in enumerate(import_.mapping) if key and key in known]
    owners: dict[str, int] = {}
    for membership in Membership.objects.for_account(account).select_related("user"):
        user = membership.user
        owners[user.email.strip().lower()] = user.pk
        if user.full_name.strip():
            owners.setdefault(fold(normalise_spaces(user.full_name)), user.pk)
    campaigns: dict[str, list[tuple[int, int, str, bool]]] = {}
    source_names: dict[int, str] = {}
    if any(key == "campaign" for _i, key in mapping):
        for pk, source_id, name, archived in Campaign.objects.for_account(account).values_list(
            "pk", "source_id", "name", "archived"
        ):
            campaigns.setdefault(name_key(name), []).append((pk, source_id, name, archived))
        source_names = dict(Source.objects.for_account(account).values_list("pk", "name"))
    return Context(
        import_=import_,
        columns=list(import_.columns),
        mapping=mapping,
        owners=owners,
        default_owner_id=default_owner_id,
        currency=account.currency,
        lengths=_max_lengths(),
        account=account,
        sources_enabled=account.sources_enabled,
        campaigns=campaigns,
        source_names=source_names,
    )


def _date(value: reading.CellValue) -> dt.date | None:
    try:
        _format, dates = values.parse_date_column([value])
    except values.AmbiguousDates as exc:
        _format, dates = values.parse_date_column([value], date_format=exc.formats[0])
    return dates[0]


def _website(raw: reading.CellValue, text: str) -> str:
    values.website_domain(raw)
    return text


def _money(raw: reading.CellValue) -> values.Money:
    money = values.parse_money(raw)
    if money.amount < 0:
        raise values.ValueProblem(_("A deal's value cannot be negative."))
    return money


def _amount(money: values.Money, plan: RowPlan) -> Decimal:
    """The amount a deal's value cell gives; the currency it names, unless a currency cell came first."""
    if money.currency:
        plan.records.setdefault("deal", {}).setdefault("currency", money.currency)
    return money.amount


def _currency(text: str) -> str:
    code = text.upper()
    if not is_currency(code):
        raise values.ValueProblem(_("“%(value)s” is not a currency code.") % {"value": text})
    return code


def _status(text: str) -> str:
    status = _STATUSES.get(fold(text))
    if status is None:
        raise values.ValueProblem(_("“%(value)s” is not a status: open, won or lost.") % {"value": text})
    return str(status)


Parser = Callable[[reading.CellValue, str], Any]
# Parsers of a cell alone, by the field's name (any kind) or its whole key: (raw cell, its text) -> value. Each
# answers from the cell only, so an import keeps its answers by the cell (_remembered).
_BY_NAME: dict[str, Callable[[reading.CellValue, str], Any]] = {
    "email": lambda raw, _t: values.parse_email(raw),
    "phone": lambda raw, _t: values.parse_phone(raw),
    "tax_id": lambda raw, _t: values.parse_nip(raw),
    "regon": lambda raw, _t: values.parse_regon(raw),
    "website": _website,
}
_BY_KEY: dict[str, Callable[[reading.CellValue, str], Any]] = {
    "deal.value": lambda raw, _t: _money(raw),
    "deal.currency": lambda _r, text: _currency(text),
    "deal.status": lambda _r, text: _status(text),
    "deal.expected_close_date": lambda raw, _t: _date(raw),
    "deal.closed_at": lambda raw, _t: _date(raw),
}


class _Refused:
    """A cell a parser refused, as _remembered keeps it: the problem's message."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_UNSEEN = object()
REMEMBERED = 8192  # the texts one column's parser keeps its answers for


def _remembered(parse: Callable[[reading.CellValue, str], Any]) -> Callable[[reading.CellValue, str], Any]:
    """`parse` with its answers (the value, or the problem) kept by the cell's text, for one column of one import:
    a file repeats its values (sources' spellings, statuses, currencies, dates, amounts, a company's NIP on each
    of its rows), and each is parsed once. Bounded: emptied when it holds REMEMBERED texts; a column whose texts
    seldom repeat (fewer hits than a quarter of that by then: e-mails, phone numbers) stops keeping them, as
    keeping costs more than it saves. A cell that is no text (a workbook's numbers and dates: 1, 1.0 and True are
    one dictionary key) is parsed each time."""
    answers: dict[str, Any] = {}
    hits = 0
    remembering = True

    def parser(raw: reading.CellValue, text: str) -> Any:
        nonlocal hits, remembering
        if not remembering or type(raw) is not str:
            return parse(raw, text)
        answer = answers.get(raw, _UNSEEN)
        if answer is _UNSEEN:
            try:
                answer = parse(raw, text)
            except values.ValueProblem as exc:
                answer = _Refused(exc.message)
            if len(answers) >= REMEMBERED:
                remembering = hits * 4 >= REMEMBERED
                answers.clear()
                hits = 0
            if remembering:
                answers[raw] = answer
        else:
            hits += 1
        if type(answer) is _Refused:
            raise values.ValueProblem(answer.message)
        return answer

    return parser


def _text_of(limit: int | None) -> Parser:
    """A text field's parser: the text itself, refused when it does not fit its column."""

    def parse(_raw: reading.CellValue, text: str) -> str:
        if limit and len(text) > limit:
            raise values.ValueProblem(
                _("The text has %(length)s characters; at most %(limit)s fit.") % {"length": len(text), "limit": limit}
            )
        return text

    return parse


def _parser(key: str, ctx: Context) -> Parser:
    """The parser of one mapped column, with its own answers kept (_remembered) for a field that parses."""
    kind, _dot, name = key.partition(".")
    parse = _BY_KEY.get(key) or _BY_NAME.get(name)
    if parse is None:
        return _text_of(ctx.lengths.get(kind, {}).get(name))
    return _remembered(parse)


# Mapped keys plan_row reads itself rather than parsing them into a field, and the deal's value, whose parsed
# money gives the row's deal its amount and (unless a currency cell came first) its currency.
_READ_BY_THE_ROW = frozenset(("source", "owner", "campaign", "person.full_name"))
_VALUE = "deal.value"


def _cells(ctx: Context) -> list[tuple[int, str, str, str, Parser, str]]:
    """Each mapped column as plan_row reads it: (index, column name, kind, field, parser, role), worked out once
    per import rather than once per cell; the role is the key of a column read by the row itself or of the deal's
    value (_READ_BY_THE_ROW, _VALUE), "" for any other field."""
    if ctx.cells is None:
        ctx.cells = []
        for index, key in ctx.mapping:
            kind, _dot, name = key.partition(".")
            parser = _text_of(None) if key in _READ_BY_THE_ROW else _parser(key, ctx)
            role = key if key in _READ_BY_THE_ROW or key == _VALUE else ""
            ctx.cells.append((index, ctx.columns[index] or str(index + 1), kind, name, parser, role))
    return ctx.cells


def _cell_text(raw: reading.CellValue) -> str:
    """A cell's text as a row reads it: whitespace normalised, NUL characters dropped.

    Most cells are printable text without two spaces in a row: the only whitespace such a text can hold is the
    ASCII space (every other space, line break and NUL is not printable), single, so only its ends change. Any other
    cell takes the full way; tests/test_plan.py compares the two."""
    if type(raw) is str and raw.isprintable() and "  " not in raw:
        return raw.strip(" ")
    return _cell_text_in_full(raw)


def _cell_text_in_full(raw: reading.CellValue) -> str:
    """`_cell_text` without its shortcut."""
    text = normalise_spaces(raw if isinstance(raw, str) else reading.cell_text(raw)).strip()
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def plan_row(row: reading.Row, ctx: Context) -> RowPlan:
    number, cells = row.number, row.cells
    plan = RowPlan(number=number, cells=cells)
    owner_text = campaign_text = ""
    width = len(cells)
    records = plan.records
    for index, column, kind, name, parser, role in _cells(ctx):
        raw = cells[index] if index < width else None
        # _cell_text with its shortcut written out: this runs for every mapped cell of the file.
        text = raw.strip(" ") if type(raw) is str and raw.isprintable() and "  " not in raw else _cell_text_in_full(raw)
        if not text:
            continue
        if role and role != _VALUE:
            if role == "source":
                plan.source_value = text
            elif role == "owner":
                owner_text = text
            elif role == "campaign":
                campaign_text = text
            else:  # the person's full name
                first, _space, last = text.rpartition(" ")
                person = records.setdefault("person", {})
                person.setdefault("first_name", first)
                person.setdefault("last_name", last)
            continue
        try:
            value = parser(raw, text)
        except values.ValueProblem as exc:
            plan.problems.append(RowProblem(number, column, exc.message))
            continue
        if role:  # the deal's value
            value = _amount(value, plan)
        record = records.get(kind)  # not setdefault(kind, {}): an empty dict made and dropped per cell
        if record is None:
            record = records[kind] = {}
        record[name] = value
    _owner(plan, owner_text, ctx)
    if campaign_text:
        _campaign(plan, campaign_text, ctx)
    _check_required(plan, ctx)
    return plan


def _owner(plan: RowPlan, text: str, ctx: Context) -> None:
    """The row's owner: the user its owner cell names (by e-mail or name), else the import's default owner."""
    if not text:
        plan.owner_id = ctx.default_owner_id
        return
    owner = ctx.owners.get(text.lower()) or ctx.owners.get(fold(text))
    if owner is None:
        column = next((ctx.columns[i] for i, key in ctx.mapping if key == "owner"), "")
        plan.problems.append(
            RowProblem(plan.number, column, _("“%(value)s” is no user of this account.") % {"value": text})
        )
    plan.owner_id = owner


def _campaign(plan: RowPlan, text: str, ctx: Context) -> None:
    """The row's campaign by its name among the campaigns of the row's source (any source's when the row names
    none: the campaign then gives the row its source, as a form does); never created by an import."""
    column = next((ctx.columns[i] for i, key in ctx.mapping if key == "campaign"), "")
    named = {"value": text}
    if not ctx.sources_enabled:
        plan.problems.append(
            RowProblem(plan.number, column, _("Acquisition sources are switched off for this account."))
        )
        return
    found = ctx.campaigns.get(name_key(text), [])
    source_id = ctx.source_of(plan.source_value) if plan.source_value else None
    if source_id is not None:
        of_source = [campaign for campaign in found if campaign[1] == source_id]
        if not of_source and found:
            plan.problems.append(
                RowProblem(
                    plan.number,
                    column,
                    _("The campaign “%(value)s” belongs to the source “%(owner)s”, not “%(source)s”.")
                    % {
                        **named,
                        "owner": ctx.source_names.get(found[0][1], ""),
                        "source": ctx.source_names.get(source_id, ""),
                    },
                )
            )
            return
        found = of_source
    if not found:
        plan.problems.append(
            RowProblem(
                plan.number,
                column,
                _("No campaign is called “%(value)s”: add it under its source first (an import creates no campaigns).")
                % named,
            )
        )
        return
    if len(found) > 1:
        plan.problems.append(
            RowProblem(
                plan.number,
                column,
                _("Several sources have a campaign “%(value)s”: map a source column to say which.") % named,
            )
        )
        return
    pk, owner_id, name, archived = found[0]
    if archived:
        plan.problems.append(
            RowProblem(plan.number, column, _("The campaign “%(value)s” is archived.") % {"value": name})
        )
        return
    plan.campaign_id, plan.campaign_source_id = pk, owner_id
    for record in plan.records.values():
        record["campaign_id"] = pk


_REQUIRED = {"company": "name", "person": "last_name", "deal": "name"}
# A deal's defaults, made once (a Decimal is immutable; str() of a choice is a Python call): every row has a deal.
_ZERO, _OPEN = Decimal(0), str(DealStatus.OPEN)


def _check_required(plan: RowPlan, ctx: Context) -> None:
    for kind, required in _REQUIRED.items():
        record = plan.records.get(kind)
        if record and not record.get(required):
            target = target_by_key().get(f"{kind}.{required}")
            plan.problems.append(
                RowProblem(
                    plan.number,
                    str(target.display) if target else required,
                    _("This row has other fields of this record but this one is empty."),
                )
            )
    deal = plan.records.get("deal")
    if deal:
        deal.setdefault("currency", ctx.currency)
        deal.setdefault("value", _ZERO)
        deal.setdefault("status", _OPEN)
        if deal["status"] == DealStatus.OPEN:
            deal.pop("closed_at", None)
            deal.pop("lost_reason", None)
        elif deal["status"] == DealStatus.WON:
            deal.pop("lost_reason", None)
    if not plan.records and not plan.problems:
        plan.problems.append(RowProblem(plan.number, "", _("The row has no value in the mapped columns.")))


def rows(import_: Import) -> Iterator[reading.Row]:
    """The file's data rows read with the import's settings (FileProblem when it cannot be). Those settings were
    kept once the whole file read with them (services.import_upload, import_update_settings): it is not checked
    whole again before its rows are read."""
    path = import_file_path(import_)
    detected = reading.inspect_file(
        path, name=import_.file_name, overrides=overrides_of(import_), preview_rows=1, checked=True
    )
    return reading.read_rows(path, detected)


def source_values(import_: Import) -> dict[str, int]:
    """Every distinct value of the source column with its row count, most frequent first ({} when unmapped)."""
    if "source" not in import_.mapping:
        return {}
    index = import_.mapping.index("source")
    counts: dict[str, int] = {}
    for row in rows(import_):
        text = normalise_spaces(reading.cell_text(row.cells[index])).strip()
        if text:
            counts[text] = counts.get(text, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


__all__ = ["KINDS", "Context", "RowPlan", "RowProblem", "context_for", "plan_row", "rows", "source_values"]
