from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created

from headwater.records.search import word_start_match


class RecordsConfig(AppConfig):
    """What every record kind shares; it has no models of its own (CrmRecord is abstract)."""

    name = "headwater.records"
    label = "records"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _  # noqa: PLC0415  # translations load with the apps

        from headwater.jobs.kinds import register_job_kind  # noqa: PLC0415  # apps are ready only here

        register_job_kind("records.export_xlsx", title=_("XLSX export"))
        register_job_kind("records.word_starts", title=_("Quick search for short words"))
        connection_created.connect(register_sqlite_functions, dispatch_uid="headwater.records.sqlite_functions")


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """The word-start match of short search words (records/search.py), on every SQLite connection Django opens."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("hw_word_start", 2, word_start_match, deterministic=True)
