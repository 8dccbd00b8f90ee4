"""Step 6, the run: every valid row of the file written in one transaction, in batches.

All or nothing: the whole write is one transaction, so a worker killed mid-import leaves no row behind (its job
goes stale and the import shows as failed; it can be run again). One import of an account at a time: the run
first takes the account's import lock (a PostgreSQL advisory lock; on SQLite its first statement is a write, which
holds every other writer), so the same file imported twice at once finds the first run's records as duplicates.

Per batch of rows: companies are matched (dedupe.match_companies, and the companies this run created), then
persons within the row's company, then deals (by name within their company and person), each kind written with
one bulk_create and one bulk_update. The statistics tallies follow by the database triggers (stats/tally_sql.py),
in the same transaction.
Every record changed is written down in ImportChange with the previous values of its changed fields; a created
record carries the import's id (`origin_import_id`): what an undo needs. The preview is the same run in a
transaction rolled back (`dry_run`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.companies.models import Company
from headwater.core.errors import Conflict
from headwater.core.models import Account
from headwater.core.text import fold
from headwater.deals.models import Deal, DealStatus
from headwater.imports import dedupe, plan
from headwater.imports.models import ChangeAction, DuplicateMode, Import, ImportChange, ImportState
from headwater.persons.models import Person
from headwater.records.models import RecordOrigin
from headwater.records.search import company_search_key, deal_search_key, person_search_key
from headwater.sources.models import HowChanged, Source, SourceChange
from headwater.sources.selectors import MatchKind, source_match_values

BATCH_ROWS = 2000
PROBLEM_CAP = 10_000  # problems kept in memory for the page; the rejected-rows file reads them all again
PREVIEW_ROWS = 20
# pg_advisory_xact_lock's first key for imports: "HW" and 2 (stats uses 1).
IMPORT_LOCK_CLASS = 0x48570002

MODELS: dict[str, type[models.Model]] = {"company": Company, "person": Person, "deal": Deal}


@dataclass
class Outcome:
    rows: int = 0
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(plan.KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(plan.KINDS, 0))
    skipped: int = 0
    errors: int = 0
    problems: list[plan.RowProblem] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    def as_results(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": self.errors,
        }


class _Rollback(Exception):  # a signal, not an error: ends a dry run's transaction
    pass


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | dt.date):
        return str(value)
    return value


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _lock_account_imports(account_id: int, import_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, (%s %% 2147483647)::int)", [IMPORT_LOCK_CLASS, account_id])
    # On SQLite the first write takes the database's write lock, held to the commit: every other import waits.
    Import.unscoped.filter(pk=import_id).update(finished_at=None)


def resolved_sources(*, account: Account, import_: Import) -> dict[str, Source | None]:
    """Each source value of the file -> its source (None: "no source"): the user's choices (step 3), else the
    certain matches (exact, alias, folded); a value with neither gets no source."""
    by_id = {source.pk: source for source in Source.objects.for_account(account)}
    resolved: dict[str, Source | None] = {}
    for value, choice in import_.source_choices.items():
        source_id = choice.get("source") if isinstance(choice, dict) else None
        resolved[value] = by_id.get(source_id) if source_id is not None else None
    return resolved


class _Writer:
    def __init__(self, *, account: Account, import_: Import, outcome: Outcome, dry_run: bool) -> None:
        self.account = account
        self.import_ = import_
        self.outcome = outcome
        self.dry_run = dry_run
        self.user_id = import_.run_by_id
        self.mode = import_.duplicates
        self.sources = resolved_sources(account=account, import_=import_)
        self.unresolved: dict[str, Source | None] = {}
        self.all_sources = {source.pk: source for source in Source.objects.for_account(account)}
        self.default_rule = account.sources_enabled and account.source_default_from_contact
        self.now = timezone.now()
        # What this run created, by key: a later row naming the same company or person is that record.
        self.company_keys: dict[tuple[str, str], Company] = {}
        self.person_keys: dict[tuple[Any, ...], Person] = {}
        self.company_names: dict[int, str] = {}
        self.deal_keys: set[tuple[int | None, int | None, str]] = set()
        self.changes: list[ImportChange] = []
        self.history: list[SourceChange] = []

    # --- sources -------------------------------------------------------------------------------------------

    def _row_source(self, row: plan.RowPlan) -> tuple[bool, Source | None]:
        """(the row names a source, which); an unconfirmed value takes its certain match only."""
        value = row.source_value
        if not value:
            return False, None
        if value in self.sources:
            return True, self.sources[value]
        if value not in self.unresolved:
            match = source_match_values(account=self.account, values={value: 1}, fuzzy=False)[0]
            certain = match.kind in (MatchKind.EXACT, MatchKind.ALIAS, MatchKind.FOLDED)
            self.unresolved[value] = match.source if certain else None
        return True, self.unresolved[value]

    def _default_from(self, *contacts: Any) -> Source | None:
        if not self.default_rule:
            return None
        for contact in contacts:
            if contact is not None and contact.source_id:
                source = self.all_sources.get(contact.source_id)
                if source is not None and not source.archived:
                    return source
        return None

    def _history(self, record: Any, kind: str, old_id: int | None, new: Source | None) -> None:
        old = self.all_sources.get(old_id) if old_id else None
        self.history.append(
            SourceChange(
                account=self.account,
                record_type=kind,
                record_id=record.pk,
                old_source_id=old_id,
                old_name=old.name if old else "",
                new_source_id=new.pk if new else None,
                new_name=new.name if new else "",
                how=HowChanged.IMPORT,
                import_ref=self.import_.pk,
                user_id=self.user_id,
                at=self.now,
            )
        )

    # --- records -------------------------------------------------------------------------------------------

    def _new(self, model: type[Any], values: dict[str, Any], owner_id: int | None, source: Source | None) -> Any:
        return model(
            account=self.account,
            owner_id=owner_id,
            source=source,
            created_at=self.now,
            updated_at=self.now,
            created_by_id=self.user_id,
            origin=RecordOrigin.IMPORT,
            origin_import_id=self.import_.pk,
            **values,
        )

    def _merge(self, kind: str, record: Any, values: dict[str, Any], source: tuple[bool, Source | None]) -> bool:
        """Apply the duplicate mode to an existing record; True when it changed."""
        previous: dict[str, Any] = {}
        if self.mode != DuplicateMode.SKIP:
            for name, value in values.items():
                current = getattr(record, name)
                if current == value or _empty(value) or _same_number(name, current, value):
                    continue
                if self.mode == DuplicateMode.FILL and not _empty(current):
                    continue
                previous[name] = _jsonable(current)
                setattr(record, name, value)
        names_source, new_source = source
        if self.import_.update_existing_source and names_source:
            new_id = new_source.pk if new_source else None
            if new_id != record.source_id:
                previous["source_id"] = record.source_id
                self._history(record, kind, record.source_id, new_source)
                record.source_id = new_id
        if not previous:
            return False
        # One per merge, even of a record merged before in this run: the undo takes each field's earliest value.
        self.changes.append(
            ImportChange(
                account=self.account,
                import_run=self.import_,
                record_type=kind,
                record_id=record.pk,
                action=ChangeAction.UPDATED,
                previous=previous,
            )
        )
        record.version += 1
        record.updated_at = self.now
        return True

    def _save_updates(self, model: type[Any], records: dict[int, Any], fields: set[str]) -> None:
        if records:
            links = {"source_id": "source", "company_id": "company"}
            names = {links.get(name, name) for name in fields} | {"version", "updated_at", "search_key"}
            model.unscoped.bulk_update(list(records.values()), sorted(names))

    def _created(self, kind: str, records: list[Any]) -> None:
        """Count them and log their source; the records themselves say which import created them
        (`origin_import_id`): what an undo deletes, with no row of ours per record."""
        self.outcome.created[kind] += len(records)
        for record in records:
            if record.source_id:
                self._history(record, kind, None, record.source)

    def _locked(self, model: type[Any], ids: set[int]) -> dict[int, Any]:
        if not ids:
            return {}
        return {r.pk: r for r in model.objects.for_account(self.account).select_for_update().filter(pk__in=ids)}

    def write(self, batch: list[plan.RowPlan]) -> None:
        actions: list[dict[str, str]] = [{} for _ in batch]
        companies = self._companies(batch, actions)
        persons = self._persons(batch, companies, actions)
        self._deals(batch, companies, persons, actions)
        for row, action in zip(batch, actions, strict=True):
            if len(self.outcome.preview) < PREVIEW_ROWS:
                self.outcome.preview.append({"number": row.number, "records": row.records, "actions": action})
        ImportChange.unscoped.bulk_create(self.changes)
        SourceChange.unscoped.bulk_create(self.history)
        self.changes, self.history = [], []

    def _company_lookup(self, keys: tuple[str, str, str, str]) -> Company | None:
        for name, key in zip(("nip", "regon", "domain", "name"), keys, strict=True):
            if key and (name, key) in self.company_keys:
                return self.company_keys[(name, key)]
        return None

    def _companies(self, batch: list[plan.RowPlan], actions: list[dict[str, str]]) -> list[Company | None]:
        result: list[Company | None] = [None] * len(batch)
        wanted = [(i, row) for i, row in enumerate(batch) if "company" in row.records]
        keys = [
            dedupe.CompanyKeys(
                tax_id=row.records["company"].get("tax_id", ""),
                regon=row.records["company"].get("regon", ""),
                website=row.records["company"].get("website", ""),
                name=row.records["company"].get("name", ""),
            )
            for _i, row in wanted
        ]
        matches = dedupe.match_companies(account=self.account, rows=keys)
        existing = self._locked(Company, {m.pk for m in matches if m is not None})
        new: list[Company] = []
        changed: dict[int, Company] = {}
        fields: set[str] = set()
        for (i, row), key, match in zip(wanted, keys, matches, strict=True):
            values = row.records["company"]
            normalised = key.normalised()
            source = self._row_source(row)
            if match is not None:
                company = existing[match.pk]
                if self._merge("company", company, values, source):
                    changed[company.pk] = company
                    fields |= set(values) | {"source_id"}
                    actions[i]["company"] = "updated"
                else:
                    actions[i]["company"] = "skipped"
                result[i] = company
                continue
            known = self._company_lookup(normalised)
            if known is not None:
                result[i] = known
                actions[i]["company"] = "same"
                continue
            company = self._new(Company, values, row.owner_id, source[1])
            company.search_key = self._company_key(company)
            for name, k in zip(("nip", "regon", "domain", "name"), normalised, strict=True):
                if k:
                    self.company_keys.setdefault((name, k), company)
            new.append(company)
            result[i] = company
            actions[i]["company"] = "new"
        for company in changed.values():
            company.search_key = self._company_key(company)
        self._count(changed, actions, "company")
        Company.unscoped.bulk_create(new)
        self._created("company", new)
        self._save_updates(Company, changed, fields)
        self.company_names.update((c.pk, c.name) for c in result if c is not None)
        return result

    def _count(self, changed: dict[int, Any], actions: list[dict[str, str]], kind: str) -> None:
        self.outcome.updated[kind] += len(changed)
        self.outcome.skipped += sum(1 for action in actions if action.get(kind) == "skipped")

    @staticmethod
    def _company_key(c: Company) -> str:
        return company_search_key(
            name=c.name, tax_id=c.tax_id, email=c.email, phone=c.phone, city=c.city, website=c.website
        )

    def _persons(
        self, batch: list[plan.RowPlan], companies: list[Company | None], actions: list[dict[str, str]]
    ) -> list[Person | None]:
        result: list[Person | None] = [None] * len(batch)
        wanted = [(i, row) for i, row in enumerate(batch) if "person" in row.records]
        keys = [
            dedupe.PersonKeys(
                email=row.records["person"].get("email", ""),
                phone=row.records["person"].get("phone", ""),
                first_name=row.records["person"].get("first_name", ""),
                last_name=row.records["person"].get("last_name", ""),
                company_id=_pk(companies[i]),
            )
            for i, row in wanted
        ]
        matches = dedupe.match_persons(account=self.account, rows=keys)
        existing = self._locked(Person, {m.pk for m in matches if m is not None})
        new: list[Person] = []
        changed: dict[int, Person] = {}
        fields: set[str] = set()
        for (i, row), key, match in zip(wanted, keys, matches, strict=True):
            values = dict(row.records["person"])
            company = companies[i]
            if company is not None:
                values["company"] = company
            source = self._row_source(row)
            if match is not None:
                person = existing[match.pk]
                merged = {k: v for k, v in values.items() if k != "company"}
                if company is not None and person.company_id is None:
                    merged["company_id"] = company.pk
                if self._merge("person", person, merged, source):
                    changed[person.pk] = person
                    fields |= set(merged) | {"source_id"}
                    actions[i]["person"] = "updated"
                else:
                    actions[i]["person"] = "skipped"
                result[i] = person
                continue
            run_keys = self._person_keys(key)
            known = next((self.person_keys[k] for k in run_keys if k in self.person_keys), None)
            if known is not None:
                result[i] = known
                actions[i]["person"] = "same"
                continue
            chosen = source[1] if source[0] else self._default_from(company)
            person = self._new(Person, values, row.owner_id, chosen)
            for k in run_keys:
                self.person_keys.setdefault(k, person)
            new.append(person)
            result[i] = person
            actions[i]["person"] = "new"
        for person in [*new, *changed.values()]:
            person.search_key = self._person_key(person)
        self._count(changed, actions, "person")
        Person.unscoped.bulk_create(new)
        self._created("person", new)
        self._save_updates(Person, changed, fields)
        return result

    @staticmethod
    def _person_keys(key: dedupe.PersonKeys) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        if key.email:
            found.append(("email", dedupe.email_key(key.email)))
        phone = dedupe.phone_key(key.phone) if key.phone else ""
        if phone:
            found.append(("phone", phone))
        if key.company_id and key.last_name:
            found.append(("name", key.company_id, dedupe.person_name_key(key.first_name, key.last_name)))
        return found

    def _company_name(self, company_id: int | None) -> str:
        if company_id is None:
            return ""
        if company_id not in self.company_names:
            found = Company.unscoped.filter(pk=company_id).only("name").first()
            self.company_names[company_id] = found.name if found else ""
        return self.company_names[company_id]

    def _person_key(self, p: Person) -> str:
        company_name = self._company_name(p.company_id)
        return person_search_key(
            first_name=p.first_name,
            last_name=p.last_name,
            email=p.email,
            phone=p.phone,
            position=p.position,
            company_name=company_name,
        )

    def _deals(
        self,
        batch: list[plan.RowPlan],
        companies: list[Company | None],
        persons: list[Person | None],
        actions: list[dict[str, str]],
    ) -> None:
        new: list[Deal] = []
        changed: dict[int, Deal] = {}
        fields: set[str] = set()
        existing = self._existing_deals(batch, companies, persons)
        for i, row in enumerate(batch):
            if "deal" not in row.records:
                continue
            values = dict(row.records["deal"])
            company, person = companies[i], persons[i]
            company_id = company.pk if company is not None else (person.company_id if person is not None else None)
            key = (company_id, _pk(person), fold(values["name"]))
            names_source, source = self._row_source(row)
            match = existing.get(key)
            if match is not None:
                closed_at = match.closed_at
                if self._merge("deal", match, values, (names_source, source)):
                    changed[match.pk] = match
                    fields |= set(values) | {"source_id", "closed_at"}
                    if match.status == DealStatus.OPEN:
                        match.closed_at = None
                    elif match.closed_at is None:
                        match.closed_at = timezone.localdate()
                    if match.closed_at != closed_at:  # moved by the status: the undo brings it back too
                        self.changes[-1].previous.setdefault("closed_at", _jsonable(closed_at))
                    actions[i]["deal"] = "updated"
                else:
                    actions[i]["deal"] = "skipped"
                continue
            if key in self.deal_keys:
                actions[i]["deal"] = "same"
                continue
            values["company_id"] = company_id
            if person is not None:
                values["person"] = person
            if values.get("status") in (DealStatus.WON, DealStatus.LOST) and not values.get("closed_at"):
                values["closed_at"] = timezone.localdate()
            chosen = source if names_source else self._default_from(person, company)
            deal = self._new(Deal, values, row.owner_id, chosen)
            deal.search_key = deal_search_key(
                name=deal.name,
                company_name=self._company_name(company_id),
                person_name=f"{person.first_name} {person.last_name}".strip() if person is not None else "",
            )
            self.deal_keys.add(key)
            new.append(deal)
            actions[i]["deal"] = "new"
        self._count(changed, actions, "deal")
        Deal.unscoped.bulk_create(new)
        self._created("deal", new)
        self._save_updates(Deal, changed, fields)

    def _existing_deals(
        self, batch: list[plan.RowPlan], companies: list[Company | None], persons: list[Person | None]
    ) -> dict[tuple[int | None, int | None, str], Deal]:
        """The account's deals the batch's rows may be: the same name, company and person (a deal of an existing
        company or person only: a record this run created has no deal yet but the ones this run made)."""
        company_ids = {c.pk for i, c in enumerate(companies) if c is not None and "deal" in batch[i].records}
        person_ids = {p.pk for i, p in enumerate(persons) if p is not None and "deal" in batch[i].records}
        if not (company_ids or person_ids):
            return {}
        found: dict[tuple[int | None, int | None, str], Deal] = {}
        candidates = (
            Deal.objects.for_account(self.account)
            .filter(Q(company_id__in=company_ids) | Q(person_id__in=person_ids))
            .exclude(origin_import_id=self.import_.pk)
            .select_for_update()
            .order_by("id")
        )
        for deal in candidates:
            found.setdefault((deal.company_id, deal.person_id, fold(deal.name)), deal)
        return found


def _pk(record: Any) -> int | None:
    return record.pk if record is not None else None


def import_execute(
    *,
    import_id: int,
    dry_run: bool = False,
    advance: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
) -> Outcome:
    """Write (or, with `dry_run`, only count) every valid row of the import, all or nothing; see the module."""
    import_ = Import.unscoped.select_related("account").get(pk=import_id)
    account = import_.account
    outcome = Outcome()
    ctx = plan.context_for(
        account=account, import_=import_, default_owner_id=import_.run_by_id or import_.uploaded_by_id
    )
    try:
        with transaction.atomic():
            if not dry_run:  # a preview writes nothing it keeps: it waits for no run
                _lock_account_imports(account.pk, import_.pk)
                state = Import.unscoped.filter(pk=import_.pk).values_list("state", flat=True).get()
                if state in (ImportState.DONE, ImportState.UNDONE):
                    raise Conflict(_("This import has already been run."))
            writer = _Writer(account=account, import_=import_, outcome=outcome, dry_run=dry_run)
            batch: list[plan.RowPlan] = []
            for row in plan.rows(import_):
                outcome.rows += 1
                row_plan = plan.plan_row(row, ctx)
                if row_plan.problems:
                    outcome.errors += 1
                    room = PROBLEM_CAP - len(outcome.problems)
                    outcome.problems.extend(row_plan.problems[: max(room, 0)])
                    continue
                batch.append(row_plan)
                if len(batch) >= BATCH_ROWS:
                    writer.write(batch)
                    batch = []
                    if advance is not None:
                        advance(outcome.rows, total)
            writer.write(batch)
            if dry_run:
                raise _Rollback
            Import.unscoped.filter(pk=import_.pk).update(
                state=ImportState.DONE, results=outcome.as_results(), finished_at=timezone.now()
            )
    except _Rollback:
        pass
    if advance is not None:
        advance(outcome.rows, total)
    return outcome


def count_rows(*, import_id: int) -> int:
    import_ = Import.unscoped.get(pk=import_id)
    return sum(1 for _row in plan.rows(import_))


def _same_number(name: str, current: Any, value: Any) -> bool:
    """A phone the record holds as typed ("+48 22 123 45 67") and the file's, read in E.164, are the same number:
    not a change (an exported list imported back changes nothing)."""
    if name != "phone" or _empty(current):
        return False
    return bool(dedupe.phone_key(current) == value)
