from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate


class StatsConfig(AppConfig):
    name = "headwater.stats"
    label = "stats"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _  # noqa: PLC0415 — with the registration it serves

        from headwater.jobs.kinds import register_job_kind  # noqa: PLC0415 — models must not load in apps.py

        register_job_kind("stats.tallies_rebuild", title=_("Recomputing the statistics for the new time zone"))
        connection_created.connect(register_sqlite_functions, dispatch_uid="headwater.stats.sqlite_functions")
        pre_migrate.connect(sqlite_cohort_triggers_off, sender=self, dispatch_uid="headwater.stats.cohort_off")
        post_migrate.connect(sqlite_cohort_triggers_on, sender=self, dispatch_uid="headwater.stats.cohort_on")
        # The record lists' exact counts from the tallies, where their filters are the tallies' keys.
        from headwater.records.listing import register_list_counter  # noqa: PLC0415 — models must not load in apps.py
        from headwater.stats.list_counts import tallied_list_count  # noqa: PLC0415 — models must not load in apps.py

        register_list_counter(tallied_list_count)
        # The spend ledger (below) marks which currencies its totals convert from.
        from headwater.spend.selectors import register_rates_reader  # noqa: PLC0415 — models must not load in apps.py
        from headwater.stats.money import exchange_rates_for  # noqa: PLC0415 — models must not load in apps.py

        register_rates_reader(lambda account: exchange_rates_for(account=account))


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """The local date the SQLite tally triggers need (stats/tally_sql.py), on every connection Django opens."""
    if connection.vendor == "sqlite":
        from headwater.stats.tally_sql import sqlite_local_date  # noqa: PLC0415 — models must not load in apps.py

        connection.connection.create_function("hw_local_date", 2, sqlite_local_date, deterministic=True)


def _sqlite_with_cohorts(using: str) -> Any:
    from django.db import connections  # noqa: PLC0415 — models must not load in apps.py

    from headwater.stats import cohort_sql  # noqa: PLC0415 — models must not load in apps.py

    connection = connections[using]
    if connection.vendor != "sqlite" or cohort_sql.TABLE not in connection.introspection.table_names():
        return None
    return connection


def sqlite_cohort_triggers_off(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Before migrations on SQLite: drop the cohort triggers. Their bodies read other tables (a deal's person and
    company, a contact's deals), and SQLite's way of altering a table (a new table, the old one dropped, the new one
    renamed) fails while a trigger names a table that is, for a moment, missing."""
    connection = _sqlite_with_cohorts(using)
    if connection is None:
        return
    from headwater.stats import cohort_sql  # noqa: PLC0415 — models must not load in apps.py

    with connection.cursor() as cursor:
        for statement in cohort_sql.drop_sql("sqlite"):
            cursor.execute(statement)


def sqlite_cohort_triggers_on(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After migrations (and a test database's flush) on SQLite: the cohort triggers again, and the cohort tallies
    recomputed (a migration may have written records while the triggers were off)."""
    connection = _sqlite_with_cohorts(using)
    if connection is None:
        return
    from headwater.stats import cohort_sql  # noqa: PLC0415 — models must not load in apps.py

    with connection.cursor() as cursor:
        for statement in cohort_sql.trigger_sql("sqlite"):
            cursor.execute(statement)
        select, params = cohort_sql.fresh_sql("sqlite", None)
        cursor.execute(f"DELETE FROM {cohort_sql.TABLE}")  # noqa: S608 — constant table name
        cursor.execute(f"INSERT INTO {cohort_sql.TABLE} ({cohort_sql.COLUMNS}) {select}", params)
