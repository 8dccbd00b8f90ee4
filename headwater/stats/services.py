"""Writes of the statistics area: the exchange rates an admin keeps, and rebuilding the tallies."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.capture import tally_sql as touch_tally_sql
from headwater.core.currencies import is_currency
from headwater.core.errors import Conflict, ValidationFailed
from headwater.core.models import Account
from headwater.jobs.models import Job
from headwater.jobs.selectors import job_queued
from headwater.jobs.services import job_create, job_enqueue, job_fail_stale
from headwater.stats import campaign_tally_sql, close_tally_sql, cohort_sql, funnel_sql, tally_sql
from headwater.stats.models import RATE_DECIMAL_PLACES, RATE_MAX_DIGITS, TALLIES_REBUILD, ExchangeRate
from headwater.users.models import User

_CURRENCY = re.compile(r"[A-Z]{3}")


def _clean_currency(*, account: Account, currency: str) -> str:
    code = currency.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise ValidationFailed.on("currency", _("Enter a three-letter currency code, such as EUR."))
    if not is_currency(code):
        raise ValidationFailed.on(
            "currency", _("%(code)s is not an ISO 4217 currency code, such as EUR or USD.") % {"code": code}
        )
    if code == account.currency:
        raise ValidationFailed.on(
            "currency", _("%(code)s is the account's base currency; it always converts at 1.") % {"code": code}
        )
    return code


def _clean_rate(rate: Decimal) -> Decimal:
    try:
        value = Decimal(rate)
        exponent = value.as_tuple().exponent
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationFailed.on("rate", _("Enter a number.")) from exc
    if not value.is_finite() or value <= 0:
        raise ValidationFailed.on("rate", _("The rate must be a number greater than zero."))
    if isinstance(exponent, int) and -exponent > RATE_DECIMAL_PLACES:
        # Refused rather than rounded: a rate is never changed behind the admin's back.
        raise ValidationFailed.on("rate", _("Use at most %(places)d decimal places.") % {"places": RATE_DECIMAL_PLACES})
    if value.adjusted() >= RATE_MAX_DIGITS - RATE_DECIMAL_PLACES:
        raise ValidationFailed.on("rate", _("The rate is too large."))
    return value


@transaction.atomic
def exchange_rate_create(*, account: Account, user: User | None, currency: str, rate: Decimal) -> ExchangeRate:
    """A rate for a currency that has none yet: 1 `currency` = `rate` in the account's base currency."""
    code = _clean_currency(account=account, currency=currency)
    value = _clean_rate(rate)
    if ExchangeRate.objects.for_account(account).filter(currency=code).exists():
        raise ValidationFailed.on(
            "currency", _("There is already a rate for %(code)s; change it in the list.") % {"code": code}
        )
    try:
        with transaction.atomic():
            return ExchangeRate.objects.create(
                account=account,
                currency=code,
                base_currency=account.currency,
                rate=value,
                updated_by=user,
                updated_at=timezone.now(),
            )
    except IntegrityError as exc:
        # Someone added the same currency between our check and the insert.
        raise ValidationFailed.on(
            "currency", _("There is already a rate for %(code)s; change it in the list.") % {"code": code}
        ) from exc


@transaction.atomic
def exchange_rate_update(
    *, account: Account, user: User | None, exchange_rate: ExchangeRate, version: int | None, rate: Decimal
) -> ExchangeRate:
    """Change a rate (and tie it to the current base currency); refused when someone changed it since `version`
    (None: no check, the rate is changed as it is now; Conflict only when it was deleted in the meantime)."""
    value = _clean_rate(rate)
    target = ExchangeRate.objects.for_account(account).filter(pk=exchange_rate.pk)
    if version is not None:
        target = target.filter(version=version)
    updated = target.update(
        rate=value,
        base_currency=account.currency,
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=user,
    )
    if not updated:
        raise Conflict(_("Someone else changed or deleted this rate in the meantime. Reload the page and try again."))
    return ExchangeRate.objects.for_account(account).get(pk=exchange_rate.pk)


@transaction.atomic
def exchange_rate_delete(
    *, account: Account, user: User | None, exchange_rate: ExchangeRate, version: int | None = None
) -> None:
    """Remove a rate: deals in that currency are then shown apart in statistics, with a warning.

    With `version`, only if nobody changed it since (else Conflict, and nothing is deleted).
    """
    target = ExchangeRate.objects.for_account(account).filter(pk=exchange_rate.pk)
    if version is None:
        target.delete()
        return
    deleted, _rows = target.filter(version=version).delete()
    if not deleted and target.exists():
        raise Conflict(_("Someone else changed or deleted this rate in the meantime. Reload the page and try again."))


# --- Tallies (see stats/tally_sql.py) ------------------------------------------------------------------


def tallies_lock_account(*, account_id: int) -> None:
    """Wait for the account's writers in flight, and hold new ones until this transaction ends (PostgreSQL).

    Taken before changing what the triggers read (the account's time zone) and by a rebuild, so no record is
    tallied under the old zone after the rebuild has read the records. SQLite writers are serialised anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, (%s %% 2147483647)::int)", [tally_sql.LOCK_CLASS, account_id]
            )


@transaction.atomic
def tallies_rebuild(*, account_ids: Iterable[int] | None = None) -> int:
    """Recompute the tallies of the given accounts (or all) from their records; returns the rows written.

    Needed after the account's time zone changes (it decides each record's month and days to close) and after
    loading records with the triggers off (the benchmark's COPY); otherwise the triggers keep them exact.
    """
    ids = None if account_ids is None else sorted({int(i) for i in account_ids})
    if ids == []:
        return 0
    tables = (tally_sql.TABLE, close_tally_sql.TABLE, campaign_tally_sql.TABLE, cohort_sql.TABLE, funnel_sql.TABLE)
    with connection.cursor() as cursor:
        if ids is None:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "LOCK TABLE companies_company, persons_person, deals_deal, capture_touch, capture_recordtouches "
                    "IN SHARE MODE"
                )
        else:
            for account_id in ids:
                tallies_lock_account(account_id=account_id)
        # This transaction's funnel changes not applied yet (PostgreSQL applies them at commit) would count twice.
        # Applied under the locks above, so no other writer of these accounts is committing meanwhile.
        funnel_sql.settle(cursor, connection.vendor, in_transaction=True)
        if ids is None:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 — constant table name
        else:
            marks = ", ".join("%s" for _ in ids)
            for table in tables:
                cursor.execute(f"DELETE FROM {table} WHERE account_id IN ({marks})", ids)  # noqa: S608 — the table name is ours, the ids are parameters
        # Each contact's deal counts (the funnel's triggers follow them); the funnel's tallies come with the others.
        select, params = funnel_sql.fresh_counts_sql(connection.vendor, ids)
        cursor.execute(f"INSERT INTO {funnel_sql.TABLE} ({funnel_sql.COLUMNS}) {select}", params)
        select, params = tally_sql.fresh_tallies_sql(connection.vendor, ids)
        cursor.execute(f"INSERT INTO {tally_sql.TABLE} ({tally_sql.COLUMNS}) {select}", params)
        written = int(cursor.rowcount)
        select, params = close_tally_sql.fresh_sql(connection.vendor, ids)
        cursor.execute(f"INSERT INTO {close_tally_sql.TABLE} ({close_tally_sql.COLUMNS}) {select}", params)
        written += int(cursor.rowcount)
        select, params = campaign_tally_sql.fresh_sql(connection.vendor, ids)
        cursor.execute(f"INSERT INTO {campaign_tally_sql.TABLE} ({campaign_tally_sql.COLUMNS}) {select}", params)
        select, params = cohort_sql.fresh_sql(connection.vendor, ids)
        cursor.execute(f"INSERT INTO {cohort_sql.TABLE} ({cohort_sql.COLUMNS}) {select}", params)
        written += int(cursor.rowcount)
        # The touch tallies count by local day too: the same zone, the same lock, the same transaction.
        if ids is None:
            cursor.execute(f"DELETE FROM {touch_tally_sql.TABLE}")  # noqa: S608 — constant table name
        else:
            cursor.execute(f"DELETE FROM {touch_tally_sql.TABLE} WHERE account_id IN ({marks})", ids)  # noqa: S608 — the table name is ours, the ids are parameters
        select, params = touch_tally_sql.fresh_tallies_sql(connection.vendor, ids)
        cursor.execute(f"INSERT INTO {touch_tally_sql.TABLE} ({touch_tally_sql.COLUMNS}) {select}", params)
        return written


@contextmanager
def tallies_bulk_insert(*, table: str) -> Iterator[Callable[[int, int], None]]:
    """Insert many records into `table` (a record table) inside the caller's transaction, tallies kept exact; gives
    `tally(first_id, last_id)`, to call after each insert with the ids it wrote (a contiguous range).

    PostgreSQL's statement triggers already tally a multi-row insert (or COPY) in one grouped upsert: nothing to do.
    SQLite's row triggers run one upsert per row; here the insert trigger is dropped for the caller's transaction
    (DDL is transactional on SQLite, and the writer holds the database's write lock, so no other writer inserts
    without it) and each range is tallied with one grouped statement; the trigger is created again on the way out.
    A failure rolls the drop back with the rest.
    """
    if connection.vendor != "sqlite":
        yield lambda first_id, last_id: None
        return
    statements = [tally_sql.sqlite_add_rows_sql(table), campaign_tally_sql.sqlite_add_rows_sql(table)]
    drops = [
        tally_sql.sqlite_insert_trigger_sql(table, create=False),
        campaign_tally_sql.sqlite_insert_trigger_sql(table, create=False),
    ]
    creates = [
        tally_sql.sqlite_insert_trigger_sql(table, create=True),
        campaign_tally_sql.sqlite_insert_trigger_sql(table, create=True),
    ]
    if table in (cohort_sql.PERSONS, cohort_sql.COMPANIES):  # a contact's deals move to its cohort (as a rule none)
        statements.extend(cohort_sql.sqlite_add_contacts_sql(table))
        drops.append(cohort_sql.sqlite_contact_insert_trigger_sql(table, create=False))
        creates.append(cohort_sql.sqlite_contact_insert_trigger_sql(table, create=True))
    if table == close_tally_sql.DEALS:  # deals also feed the days-to-close counts (the median)
        statements.append(close_tally_sql.sqlite_add_rows_sql())
        drops.append(close_tally_sql.sqlite_insert_trigger_sql(create=False))
        creates.append(close_tally_sql.sqlite_insert_trigger_sql(create=True))
        # and the cohort tallies.
        statements.append(cohort_sql.sqlite_add_rows_sql())
        drops.append(cohort_sql.sqlite_insert_trigger_sql(create=False))
        creates.append(cohort_sql.sqlite_insert_trigger_sql(create=True))
        # and the funnel's contacts with a deal (its row trigger ran four statements per deal).
        statements.extend(funnel_sql.sqlite_add_rows_sql())
        drops.append(funnel_sql.sqlite_insert_trigger_sql(create=False))
        creates.append(funnel_sql.sqlite_insert_trigger_sql(create=True))

    def tally(first_id: int, last_id: int) -> None:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, [first_id, last_id])

    with connection.cursor() as cursor:
        for statement in drops:
            cursor.execute(statement)
    yield tally
    with connection.cursor() as cursor:
        for statement in creates:
            cursor.execute(statement)


def tallies_rebuild_enqueue(*, account: Account, user: User | None, label: str = "") -> Job:
    """Queue the recomputation of the account's tallies (after its time zone changed), in the caller's transaction.

    A job still queued serves this change too (it reads the zone when it runs): it is returned, with its label
    updated, and nothing is queued twice. A running job may have read the zone before this change: a new one is
    queued after it. Call it after the change is written, under `tallies_lock_account`, so a job cannot start
    between the check and the commit (it takes the same lock first).
    """
    from headwater.stats.tasks import tallies_rebuild_task  # noqa: PLC0415 — the task module imports this one

    job_fail_stale(account=account)  # a recomputation whose worker died is recorded as failed, not left running
    queued = job_queued(account=account, kind=TALLIES_REBUILD)
    if queued is not None:
        if label and queued.label != label:
            Job.objects.for_account(account).filter(pk=queued.pk).update(label=label)
            queued.label = label
        return queued
    job = job_create(account=account, kind=TALLIES_REBUILD, label=label, user=user)
    return job_enqueue(job=job, task=tallies_rebuild_task, account_id=account.pk)
