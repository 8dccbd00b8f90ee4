"""Spend from a spreadsheet (Account settings > Spend > Import): a CSV, XLSX or ODS file read by the import's own
reader (reading.py: encoding, delimiter, header row, calamine), one spend entry per row, all or nothing.

Columns, by their header (English or Polish, any case): month, or start and end; source; campaign; amount; currency;
note. A source is found by its exact name, an alias or the same name folded (sources.selectors.source_name_resolver:
certain matches only, never a guess); a campaign within the row's source by its name. Every row is checked first;
one bad cell refuses the whole file and lists every problem by row, column and reason.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from headwater.campaigns.models import Campaign
from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.core.text import name_key
from headwater.imports import reading
from headwater.imports.values import DATE_FORMATS, ValueProblem, excel_serial_date, parse_money
from headwater.sources.selectors import source_name_resolver
from headwater.spend.services import (
    spend_clean_amount,
    spend_clean_currency,
    spend_clean_note,
    spend_clean_period,
    spend_create,
)
from headwater.users.models import User

# Header names (folded) per field; the Polish ones are what a Polish user types.
HEADERS: dict[str, tuple[str, ...]] = {
    "month": ("month", "miesiąc", "miesiac"),
    "start_date": ("start", "start date", "from", "początek", "poczatek", "od", "data początku"),
    "end_date": ("end", "end date", "to", "koniec", "do", "data końca"),
    "source": ("source", "źródło", "zrodlo"),
    "campaign": ("campaign", "kampania"),
    "amount": ("amount", "kwota"),
    "currency": ("currency", "waluta"),
    "note": ("note", "notatka", "uwagi"),
}
_MONTH = re.compile(r"([0-9]{4})[-./]([0-9]{1,2})")
_MONTH_FIRST = re.compile(r"([0-9]{1,2})[-./]([0-9]{4})")
MAX_SPEND_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str


class SpendFileRefused(ValidationFailed):
    """The file's rows have problems: none was saved. `errors` lists each by row, column and reason."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(_("Nothing was imported: correct the rows below and send the file again."))
        self.errors = errors


def _fold(text: str) -> str:
    return " ".join(text.strip().casefold().split())


def _column_map(columns: tuple[str, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(columns):
        folded = _fold(title)
        for field, names in HEADERS.items():
            if folded in names and field not in found:
                found[field] = index
    if "source" not in found or "amount" not in found:
        raise reading.FileProblem(_("The file needs a Source column and an Amount column (in its header row)."))
    if "month" not in found and not ("start_date" in found and "end_date" in found):
        raise reading.FileProblem(_("The file needs a Month column, or Start and End columns (in its header row)."))
    return found


def _day(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return excel_serial_date(float(value))
    text = reading.cell_text(value).strip()
    for pattern in DATE_FORMATS.values():
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 — a calendar day, no time
        except ValueError:
            continue
    raise ValueProblem(_("“%(value)s” is not a date (e.g. 2026-11-30).") % {"value": text})


def _month(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date | dt.datetime | int | float):
        day = _day(value)
        return None if day is None else day.replace(day=1)
    text = reading.cell_text(value).strip()
    match = _MONTH.fullmatch(text)
    if match:
        year, month = int(match[1]), int(match[2])
    else:
        match = _MONTH_FIRST.fullmatch(text)
        if match is None:
            raise ValueProblem(_("“%(value)s” is not a month (e.g. 2026-11).") % {"value": text})
        month, year = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueProblem(_("“%(value)s” is not a month (e.g. 2026-11).") % {"value": text})
    return dt.date(year, month, 1)


def _text(value: Any) -> str:
    return reading.cell_text(value).strip()


def spend_import(*, account: Account, user: User, upload: UploadedFile) -> int:
    """Read the file and create one entry per row, all in one transaction; SpendFileRefused (nothing saved) with
    every row's problems, FileProblem when the file itself cannot be read. Returns how many entries were added."""
    name = Path(upload.name or "").name
    if upload.size is not None and upload.size > reading.MAX_FILE_BYTES:
        raise reading.FileProblem(
            _("The file has %(size)s MB; at most %(limit)s MB can be imported. Split it into smaller files.")
            % {"size": f"{upload.size / 1024 / 1024:.1f}", "limit": reading.MAX_FILE_BYTES // 1024 // 1024}
        )
    kind = reading.kind_of(name)
    target = Path(settings.IMPORT_FILES_DIR) / str(account.pk) / f"spend-{secrets.token_hex(16)}.{kind}"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        detected = reading.inspect_file(target, name=name)
        columns = _column_map(detected.columns)
        rows = list(reading.read_rows(target, detected))
    finally:
        # The file is read once, here: nothing keeps it (unlike the import wizard, which can undo).
        target.unlink(missing_ok=True)
    if not rows:
        raise reading.FileProblem(_("The file has no rows under its header."))
    if len(rows) > MAX_SPEND_ROWS:
        raise reading.FileProblem(
            _("The file has more than %(limit)s rows; split it into smaller files.") % {"limit": MAX_SPEND_ROWS}
        )
    return _create_all(account=account, user=user, rows=rows, columns=columns, titles=detected.columns)


def _row_error(number: int, exc: ValidationFailed, title: Any, default: str) -> RowError:
    """A service's refusal as a row error, on the column of the field it names."""
    field = next(iter(exc.fields), default)
    reasons = exc.fields.get(field) or [exc.message]
    return RowError(number, title(field), str(reasons[0]))


class _Sheet:
    """One file's columns and the account's catalogue, read once for every row."""

    def __init__(self, *, account: Account, columns: dict[str, int], titles: tuple[str, ...]) -> None:
        self.account = account
        self.columns = columns
        self.titles = titles
        self.resolve = source_name_resolver(account=account)
        self.campaigns = {
            (source_id, key): pk
            for pk, source_id, key in Campaign.objects.for_account(account).values_list("pk", "source_id", "name_key")
        }

    def cell(self, row: reading.Row, field: str) -> Any:
        index = self.columns.get(field)
        return None if index is None else row.cells[index]

    def title(self, field: str) -> str:
        return self.titles[self.columns[field]] if field in self.columns else field

    def source_and_campaign(self, row: reading.Row, values: dict[str, Any], errors: list[RowError]) -> None:
        source_name = _text(self.cell(row, "source"))
        source = self.resolve(source_name) if source_name else None
        if source is None:
            reason = (
                _("Enter the source.")
                if not source_name
                else _("No source is named “%(name)s” (nor has it as an alias).") % {"name": source_name}
            )
            errors.append(RowError(row.number, self.title("source"), reason))
        values["source"] = source
        campaign_name = _text(self.cell(row, "campaign"))
        values["campaign"] = None
        if campaign_name and source is not None:
            values["campaign"] = self.campaigns.get((source.pk, name_key(campaign_name)))
            if values["campaign"] is None:
                errors.append(
                    RowError(
                        row.number,
                        self.title("campaign"),
                        _("The source “%(source)s” has no campaign named “%(name)s”.")
                        % {"source": source.name, "name": campaign_name},
                    )
                )

    def period(self, row: reading.Row, values: dict[str, Any], errors: list[RowError]) -> None:
        dates_read = True
        for field, parse in (("month", _month), ("start_date", _day), ("end_date", _day)):
            try:
                values[field] = parse(self.cell(row, field))
            except ValueProblem as exc:
                errors.append(RowError(row.number, self.title(field), str(exc.message)))
                values[field], dates_read = None, False
        if dates_read:
            try:
                spend_clean_period(month=values["month"], start_date=values["start_date"], end_date=values["end_date"])
            except ValidationFailed as exc:
                errors.append(_row_error(row.number, exc, self.title, "month"))

    def money_and_note(self, row: reading.Row, values: dict[str, Any], errors: list[RowError]) -> None:
        currency_text = _text(self.cell(row, "currency"))
        try:
            money = parse_money(self.cell(row, "amount"))
            values["amount"] = spend_clean_amount(money.amount)
            values["currency"] = spend_clean_currency(currency_text or money.currency or None, account=self.account)
        except ValueProblem as exc:
            errors.append(RowError(row.number, self.title("amount"), str(exc.message)))
        except ValidationFailed as exc:
            errors.append(_row_error(row.number, exc, self.title, "amount"))
        try:
            values["note"] = spend_clean_note(_text(self.cell(row, "note")))
        except ValidationFailed as exc:
            errors.append(_row_error(row.number, exc, self.title, "note"))


def _create_all(
    *, account: Account, user: User, rows: list[reading.Row], columns: dict[str, int], titles: tuple[str, ...]
) -> int:
    sheet = _Sheet(account=account, columns=columns, titles=titles)
    errors: list[RowError] = []
    ready: list[dict[str, Any]] = []
    for row in rows:
        before = len(errors)
        values: dict[str, Any] = {}
        sheet.source_and_campaign(row, values, errors)
        sheet.period(row, values, errors)
        sheet.money_and_note(row, values, errors)
        if len(errors) == before:
            ready.append(values)
    if errors:
        raise SpendFileRefused(errors)
    with transaction.atomic():
        for values in ready:
            spend_create(account=account, user=user, **values)
    return len(ready)
