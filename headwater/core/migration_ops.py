"""Migration operations Django has no declaration for."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def account_dependencies(table: str, columns: tuple[str, ...]) -> migrations.RunPython:
    """PostgreSQL statistics telling the planner that each of `columns` (a foreign key to a tenant-owned row)
    determines `account_id`.

    Without them it multiplies the selectivities of `account_id = A` and `owner_id = O` as if they were
    independent, and underestimates a filtered list of a mid-sized account a hundredfold: it then joins and sorts
    every matching row instead of reading one page in index order. Other databases: nothing to do.
    """

    def names() -> list[tuple[str, str]]:
        return [(f"{table}_{column}_account_stx", column) for column in columns]

    def create(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for name, column in names():
                cursor.execute(
                    f"CREATE STATISTICS IF NOT EXISTS {name} (dependencies) ON account_id, {column} FROM {table}"
                )
            cursor.execute(f"ANALYZE {table}")

    def drop(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for name, _ in names():
                cursor.execute(f"DROP STATISTICS IF EXISTS {name}")

    return migrations.RunPython(create, drop)
