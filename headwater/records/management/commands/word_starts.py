"""`manage.py word_starts`: switch an account's word starts on or off, compare the tables with the records, or
rebuild them.

`--enable --account N` switches the account on (both kinds with a name order, or `--kind`) and writes its rows;
`--disable --account N` drops them, and its lists read through the trigram index again. The triggers and the import
keep the rows of the accounts switched on exact (records/word_starts.py); `--check` and `--rebuild` are for after
restoring a dump made without them, loading records with triggers disabled, or to verify a production database.
`--list` names the accounts switched on. PostgreSQL only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from headwater.records.registry import kind_of, record_kinds
from headwater.records.word_starts import (
    accounts_switched_on,
    has_table,
    table_of,
    word_start_drift,
    word_starts_disable,
    word_starts_enable,
    word_starts_rebuild,
)


class Command(BaseCommand):
    help = (
        "Switch an account's word starts on (--enable) or off (--disable), list the accounts switched on (--list), "
        "check the word-start tables against the records (--check) or write them afresh (--rebuild)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--enable", action="store_true", help="switch the --account(s) on and write their rows")
        action.add_argument("--disable", action="store_true", help="switch the --account(s) off and drop their rows")
        action.add_argument("--list", action="store_true", help="the accounts switched on, per table")
        action.add_argument("--check", action="store_true", help="exit with an error when a table differs")
        action.add_argument("--rebuild", action="store_true", help="write every table's rows from the records")
        parser.add_argument("--account", type=int, action="append", help="only this account id (repeatable)")
        parser.add_argument("--kind", action="append", help="only this record kind (person, company; repeatable)")

    def _switch(self, models: list[Any], accounts: list[int], *, on: bool) -> None:
        for model in models:
            for account in accounts:
                if on:
                    rows = word_starts_enable(model, account)
                    self.stdout.write(f"Switched on account {account} in {table_of(model)}: {rows} rows.")
                else:
                    rows = word_starts_disable(model, account)
                    self.stdout.write(f"Switched off account {account} in {table_of(model)}: {rows} rows dropped.")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = options["account"]
        if not any(options[name] for name in ("enable", "disable", "list", "check", "rebuild")):
            raise CommandError("Say --enable, --disable, --list, --check or --rebuild.")
        if (options["enable"] or options["disable"]) and not accounts:
            raise CommandError("Say which --account.")
        try:
            kinds = [kind_of(name) for name in options["kind"]] if options["kind"] else record_kinds()
        except LookupError as error:
            raise CommandError(str(error)) from error
        models = [kind.model for kind in kinds if has_table(kind.model)]
        if not models:
            self.stdout.write("No word-start tables here (PostgreSQL only).")
            return
        if options["enable"] or options["disable"]:
            self._switch(models, accounts, on=options["enable"])
            return
        if options["list"]:
            for model in models:
                on = accounts_switched_on(model)
                self.stdout.write(f"{table_of(model)}: {', '.join(map(str, on)) or 'no account'}")
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
