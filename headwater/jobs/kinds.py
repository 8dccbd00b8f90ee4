"""The kinds of job, each declared once by the app that runs it (in its AppConfig.ready): its title on pages."""

from __future__ import annotations

from django.utils.functional import Promise

_TITLES: dict[str, str | Promise] = {}


def register_job_kind(kind: str, *, title: str | Promise) -> None:
    """`kind`: the app's name for it ("stats.tallies_rebuild"); `title`: a lazy translation shown above its bar."""
    _TITLES[kind] = title


def job_kind_title(kind: str) -> str:
    return str(_TITLES.get(kind, kind))
