"""PostgreSQL instants read through psycopg's C parser, as Django's own loader reads them.

Django's psycopg backend reads every `timestamptz` value through a loader written in Python
(`psycopg_any.BaseTzLoader`: psycopg's pure-Python parser, then `replace(tzinfo=connection's time zone)`), although
psycopg's C extension has the same parser in C. About 3.5 us a value: 0.1 ms of a list page of 26 records whose
whole read (its two statements on a raw connection) costs the client 0.2 ms of CPU (docs/performance.md, "What a
selector does beyond its floor, cut again").

`TzLoader` does what Django's loader does, with the C parser: the same value (the instant in the session's time
zone, then labelled with the connection's), the same errors (a value before year 1 or after 9999, `infinity`). It is
registered on every PostgreSQL connection Django opens (`register_tz_loader`, core.apps), with the connection's time
zone, as Django registers its own; Django's `create_cursor` still replaces it on a cursor whose connection's time
zone changed since (it compares the loader's `timezone`). Without psycopg's C extension the parser is the Python
one, as before.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

_TIMESTAMPTZ = "timestamptz"


@lru_cache
def tz_loader(timezone: dt.tzinfo | None) -> type[Any]:
    """The loader class of `timezone` (Django's `connection.timezone`: None when USE_TZ is off)."""
    import psycopg  # noqa: PLC0415  # only PostgreSQL connections get here; SQLite runs without psycopg
    from django.db.backends.postgresql.psycopg_any import (  # type: ignore[import-untyped]  # noqa: PLC0415  # idem
        BaseTzLoader,
    )
    from psycopg.pq import Format  # noqa: PLC0415  # idem

    found = psycopg.adapters.get_loader(psycopg.postgres.types[_TIMESTAMPTZ].oid, Format.TEXT)
    if found is None:  # pragma: no cover — psycopg always has one
        raise LookupError("psycopg has no timestamptz loader")
    parser: type[Any] = found

    class TzLoader(BaseTzLoader):  # type: ignore[misc]  # psycopg_any is untyped: its classes are Any
        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            # psycopg's default loader (its C one where installed) for the same connection: the same session time
            # zone and date style as the Python parser Django's loader calls.
            self._parse = parser(oid, context).load

        def load(self, data: Any) -> Any:
            value = self._parse(data)
            zone = self.timezone
            # Django's loader replaces the time zone; a value already in it is that value.
            return value if value.tzinfo is zone else value.replace(tzinfo=zone)

    TzLoader.timezone = timezone
    return TzLoader


def register_tz_loader(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: a new PostgreSQL connection reads instants through `tz_loader`."""
    if connection.vendor != "postgresql":
        return
    connection.connection.adapters.register_loader(_TIMESTAMPTZ, tz_loader(connection.timezone))
