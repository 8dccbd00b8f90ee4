from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class StatsConfig(AppConfig):
    name = "headwater.stats"
    label = "stats"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _  # noqa: PLC0415 — with the registration it serves

        from headwater.jobs.kinds import register_job_kind  # noqa: PLC0415 — models must not load in apps.py

        register_job_kind("stats.tallies_rebuild", title=_("Recomputing the statistics for the new time zone"))
        connection_created.connect(register_sqlite_functions, dispatch_uid="headwater.stats.sqlite_functions")
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
