"""Index declarations Django has no option for."""

from __future__ import annotations

from typing import Any

from django.db import models


class NullsLowIndex(models.Index):
    """An index over `fields` (`-name` descending) in the order the list sorts give a nullable column: its empty
    values lowest (core/pagination.py), so a sort newest first ends with them.

    PostgreSQL puts empty values highest unless told: there each nullable column gets `NULLS LAST` descending and
    `NULLS FIRST` ascending, and `ORDER BY closed_at DESC NULLS LAST, id DESC` is the index read forward (its reverse
    read backward); with the default order it would sort every row instead. SQLite puts them lowest already and
    refuses the clause in an index, so it gets the plain declaration.
    """

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql" or self.expressions:
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        fields = [model._meta.get_field(name) for name, _order in self.fields_orders]
        suffixes = [
            (f"{order} NULLS LAST" if order == "DESC" else "NULLS FIRST") if field.null else order
            for field, (_name, order) in zip(fields, self.fields_orders, strict=True)
        ]
        return schema_editor._create_index_sql(
            model,
            fields=fields,
            name=self.name,
            using=using,
            db_tablespace=self.db_tablespace,
            col_suffixes=suffixes,
            opclasses=self.opclasses,
            condition=self._get_condition_sql(model, schema_editor),  # type: ignore[attr-defined]  # Index's own helper, not in the stubs
            include=[model._meta.get_field(name).column for name in self.include],
            **kwargs,
        )
