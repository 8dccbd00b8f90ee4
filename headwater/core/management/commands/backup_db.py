from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils import timezone

from headwater.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Take a consistent backup of the live database (SQLite online backup or pg_dump)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="Where to write the backup (default: var/backups/<timestamp>).")

    def handle(self, *args: Any, **options: Any) -> None:
        settings_dict = connections["default"].settings_dict
        suffix = ".sqlite3" if settings_dict["ENGINE"].endswith("sqlite3") else ".dump"
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        target = Path(options["path"] or f"var/backups/headwater-{stamp}{suffix}")
        try:
            backup(settings_dict, target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written to {target}"))
