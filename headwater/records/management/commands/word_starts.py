"""`manage.py word_starts --check | --rebuild`: compare the word-start tables with the records, or rebuild them.

The triggers and the import keep the tables exact (records/word_starts.py); this is for after restoring a dump made
without them, loading records with triggers disabled, or to verify a production database. PostgreSQL only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from headwater.records.registry import record_kinds
from headwater.records.word_starts import has_table, table_of, word_start_drift, word_starts_rebuild


class Command(BaseCommand):
    help = "Check the word-start tables against the records (--check) or write them afresh (--rebuild)."

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--check", action="store_true", help="exit with an error when a table differs")
        action.add_argument("--rebuild", action="store_true", help="write every table's rows from the records")
        parser.add_argument("--account", type=int, action="append", help="only this account id (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = options["account"]
        if not options["rebuild"] and not options["check"]:
            raise CommandError("Say --check or --rebuild.")
        models = [kind.model for kind in record_kinds() if has_table(kind.model)]
        if not models:
            self.stdout.write("No word-start tables here (PostgreSQL only).")
            return
        differ = []
        for model in models:
            if options["rebuild"]:
                with transaction.atomic():
                    rows = word_starts_rebuild(model, account_ids=accounts)
                self.stdout.write(f"Rebuilt {table_of(model)}: {rows} rows.")
            missing, extra = word_start_drift(model, account_ids=accounts)
            if missing or extra:
                differ.append(f"  {table_of(model)}: {missing} rows missing, {extra} rows too many")
        if differ:
            raise CommandError("The word-start tables differ from the records (run --rebuild):\n" + "\n".join(differ))
        self.stdout.write("The word-start tables are exact.")
