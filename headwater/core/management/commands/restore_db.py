from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from headwater.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Replace the database's contents with a backup taken by backup_db. Stop the application first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The backup file.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["path"])
        if not source.is_file():
            raise CommandError(f"No backup file at {source}")
        if not options["yes"]:
            answer = input("This replaces every row of the database with the backup. Type 'restore' to go on: ")
            if answer.strip() != "restore":
                raise CommandError("Restore cancelled.")
        connections["default"].close()
        try:
            restore(connections["default"].settings_dict, source)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Database restored from {source}"))
