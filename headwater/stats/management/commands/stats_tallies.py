"""`manage.py stats_tallies --check | --rebuild`: compare the statistics tallies with the records, or recompute them.

The triggers keep the tallies exact; this is for after restoring a database dump made without them, loading records
with triggers disabled, or to verify a production database.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from headwater.stats.services import tallies_rebuild
from headwater.stats.tally_drift import tally_drift


class Command(BaseCommand):
    help = "Check the statistics tallies against the records (--check) or recompute them (--rebuild)."

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--check", action="store_true", help="exit with an error when a tally differs")
        action.add_argument("--rebuild", action="store_true", help="recompute every tally from the records")
        parser.add_argument("--account", type=int, action="append", help="only this account id (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = options["account"]
        if options["rebuild"]:
            rows = tallies_rebuild(account_ids=accounts)
            self.stdout.write(f"Rebuilt: {rows} tally rows.")
        elif not options["check"]:
            raise CommandError("Say --check or --rebuild.")
        drift = tally_drift(account_ids=accounts)
        if drift:
            sample = "\n".join(
                f"  {key}: stored {stored}, from the records {fresh}"
                for key, (stored, fresh) in list(drift.items())[:20]
            )
            raise CommandError(f"{len(drift)} tallies differ from the records (run --rebuild):\n{sample}")
        self.stdout.write("The tallies are exact.")
