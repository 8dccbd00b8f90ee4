"""`manage.py word_starts`: switch accounts' word starts on or off (by hand or by their size), list them, compare the
tables with the records, or rebuild them.

`--fit` applies the size rule to every account (or `--account`): on at WORD_STARTS_ON_AT persons (companies), off
below WORD_STARTS_OFF_BELOW. Imports apply it to their account by themselves; schedule `--fit` (hourly, say) for the
accounts that shrink by deletes and merges. `--enable --account N` and `--disable --account N` are an operator's
choice, which the rule leaves alone until `--auto --account N` hands the account back to it. The triggers and the
import keep the rows of the accounts switched on exact (records/word_starts.py); `--check` and `--rebuild` are for
after restoring a dump made without them, loading records with triggers disabled, or to verify a production
database. `--list` names the accounts switched on, per table. PostgreSQL only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from headwater.records.registry import kind_of, record_kinds
from headwater.records.word_starts import (
    Switch,
    has_table,
    table_of,
    word_start_choices,
    word_start_drift,
    word_start_states,
    word_starts_apply,
    word_starts_choose,
    word_starts_due,
    word_starts_rebuild,
)

ACTIONS = ("enable", "disable", "auto", "fit", "list", "check", "rebuild")


class Command(BaseCommand):
    help = (
        "Switch accounts' word starts on or off by their size (--fit), or by hand (--enable, --disable; --auto undoes "
        "that), list the accounts switched on (--list), check the word-start tables against the records (--check) "
        "or write them afresh (--rebuild)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--enable", action="store_true", help="switch the --account(s) on, whatever their size")
        action.add_argument("--disable", action="store_true", help="switch the --account(s) off, whatever their size")
        action.add_argument("--auto", action="store_true", help="hand the --account(s) back to the size rule")
        action.add_argument("--fit", action="store_true", help="apply the size rule (every account, or --account)")
        action.add_argument("--list", action="store_true", help="the accounts switched on, per table")
        action.add_argument("--check", action="store_true", help="exit with an error when a table differs")
        action.add_argument("--rebuild", action="store_true", help="write every table's rows from the records")
        parser.add_argument("--account", type=int, action="append", help="only this account id (repeatable)")
        parser.add_argument("--kind", action="append", help="only this record kind (person, company; repeatable)")

    def _report(self, switches: list[Switch]) -> None:
        for switch in switches:
            state = "on" if switch.on else "off"
            self.stdout.write(
                f"Switched {state} account {switch.account_id} in {table_of(switch.model)} "
                f"({switch.records} records counted)."
            )
        if not switches:
            self.stdout.write("Nothing to switch.")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = options["account"]
        if not any(options[name] for name in ACTIONS):
            raise CommandError("Say --" + ", --".join(ACTIONS[:-1]) + " or --" + ACTIONS[-1] + ".")
        if (options["enable"] or options["disable"] or options["auto"]) and not accounts:
            raise CommandError("Say which --account.")
        try:
            kinds = [kind_of(name) for name in options["kind"]] if options["kind"] else record_kinds()
        except LookupError as error:
            raise CommandError(str(error)) from error
        models = [kind.model for kind in kinds if has_table(kind.model)]
        if not models:
            self.stdout.write("No word-start tables here (PostgreSQL only).")
            return
        if options["enable"] or options["disable"] or options["auto"]:
            choice = True if options["enable"] else False if options["disable"] else None
            for model in models:
                for account in accounts:
                    word_starts_choose(model, account, choice)
        if options["enable"] or options["disable"] or options["auto"] or options["fit"]:
            due = [s for s in word_starts_due(account_ids=accounts) if s.model in models]
            word_starts_apply(due)
            self._report(due)
            return
        if options["list"]:
            self._list(models)
        else:
            self._check(models, accounts, rebuild=options["rebuild"])

    def _list(self, models: list[Any]) -> None:
        for model in models:
            states, choices = word_start_states(model), word_start_choices(model)
            listed = [
                f"{pk}{'' if ready else ' (being written)'}{' (by hand)' if pk in choices else ''}"
                for pk, ready in sorted(states.items())
            ]
            off = [f"{pk} (off by hand)" for pk, on in sorted(choices.items()) if not on]
            self.stdout.write(f"{table_of(model)}: {', '.join(listed + off) or 'no account'}")

    def _check(self, models: list[Any], accounts: list[int] | None, *, rebuild: bool) -> None:
        differ = []
        for model in models:
            if rebuild:
                with transaction.atomic():
                    rows = word_starts_rebuild(model, account_ids=accounts)
                self.stdout.write(f"Rebuilt {table_of(model)}: {rows} rows.")
            missing, extra = word_start_drift(model, account_ids=accounts)
            if missing or extra:
                differ.append(f"  {table_of(model)}: {missing} rows missing, {extra} rows too many")
        if differ:
            raise CommandError("The word-start tables differ from the records (run --rebuild):\n" + "\n".join(differ))
        self.stdout.write("The word-start tables are exact.")
