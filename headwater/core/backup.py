"""Consistent backups of a live database: SQLite's online backup API, pg_dump on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any


class BackupError(RuntimeError):
    pass


def sqlite_backup(source: Path, target: Path) -> None:
    """Copy a live SQLite database page by page under its own read transaction: a consistent snapshot even
    while writers commit (they continue in WAL mode; the copy sees one point in time)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            check = dst.execute("PRAGMA integrity_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"The backup failed its integrity check: {check}")
        finally:
            dst.close()
    finally:
        src.close()
    tmp.replace(target)


def sqlite_restore(backup: Path, target: Path) -> None:
    """Write a backup into the database file through SQLite itself, so the WAL and any open reader stay coherent."""
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        check = src.execute("PRAGMA integrity_check").fetchone()
        if not check or check[0] != "ok":
            raise BackupError(f"The backup file is damaged: {check}")
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _pg_env(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = []
    if settings_dict.get("HOST"):
        args += ["-h", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["-U", str(settings_dict["USER"])]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise BackupError(
            f"{tool} is needed for PostgreSQL backups; install the PostgreSQL client (postgresql-client)."
        )
    return path


def postgres_backup(settings_dict: dict[str, Any], target: Path) -> None:
    """pg_dump runs in one REPEATABLE READ snapshot: consistent while the application keeps writing."""
    args, env = _pg_env(settings_dict)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".partial")
    cmd = [_need("pg_dump"), *args, "--format=custom", "--no-owner", "--file", str(tmp), str(settings_dict["NAME"])]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603 — fixed argv
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    tmp.replace(target)


def postgres_restore(settings_dict: dict[str, Any], backup: Path) -> None:
    """Replace the database's contents with the backup in one transaction: a failure leaves it as it was."""
    args, env = _pg_env(settings_dict)
    cmd = [
        _need("pg_restore"),
        *args,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        "--dbname",
        str(settings_dict["NAME"]),
        str(backup),
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603 — fixed argv
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def backup(settings_dict: dict[str, Any], target: Path) -> None:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        sqlite_backup(Path(settings_dict["NAME"]), target)
    elif engine.endswith("postgresql"):
        postgres_backup(settings_dict, target)
    else:
        raise BackupError(f"No backup method for {engine}")


def restore(settings_dict: dict[str, Any], source: Path) -> None:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        sqlite_restore(source, Path(settings_dict["NAME"]))
    elif engine.endswith("postgresql"):
        postgres_restore(settings_dict, source)
    else:
        raise BackupError(f"No restore method for {engine}")
