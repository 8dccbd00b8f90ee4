"""Recompute the uniqueness keys of every source, renaming the later of two names that now collide.

Used by the migration that introduced the keys (`0003_lookalike_names`) and by the next one that changes them
(a newer confusables file, another folding). It works on the models it is given, so a migration passes its
historical ones; it imports no app models.

The policy for an existing database that already holds two names which now count as the same ("Strona WWW" and
"Strona  WWW", "Partner" and "Partner" spelt with Cyrillic letters): the source created first (lowest id) keeps
its name; each later one gets a number, "Partner (2)", "Partner (3)"..., shortened to fit 100 characters, and a
"renamed" history row by the system that names the source it looked like. Its records, id and everything else
stay; its version goes up (an open rename form then reports the change instead of overwriting it). The admin sees
both in the list and can merge them or rename either. Keeping both names unchanged was the alternative, but then
the database could not enforce the rule for everyone else, and the pair would go on confusing people.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from headwater.core.text import name_key, name_look_key, normalise_spaces

NAME_MAX_LENGTH = 100
KEY_MAX_LENGTH = 300


def keys_of(name: str) -> tuple[str, str]:
    # The columns hold 300 characters; only a pathological name's key is longer (the services refuse those).
    return name_key(name)[:KEY_MAX_LENGTH], name_look_key(name)[:KEY_MAX_LENGTH]


def _numbered(name: str, number: int) -> str:
    suffix = f" ({number})"
    return normalise_spaces(name)[: NAME_MAX_LENGTH - len(suffix)].rstrip() + suffix


def rekey_sources(source_model: type[models.Model], event_model: type[models.Model], *, using: str) -> list[int]:
    """Store both keys of every source of every account; returns the ids of the sources renamed.

    Run it with the unique constraints on the keys dropped: rows are rewritten one at a time, and a new key may
    equal another row's old one until that row is rewritten too.
    """
    manager: Any = source_model._base_manager
    events: Any = event_model._base_manager
    renamed: list[int] = []
    rows = list(manager.using(using).order_by("account_id", "pk"))
    by_account: dict[int, list[Any]] = {}
    for row in rows:
        by_account.setdefault(row.account_id, []).append(row)
    now = timezone.now()
    for sources in by_account.values():
        originals = {source.pk: keys_of(source.name) for source in sources}
        # Each key and the name of the source that holds it, filled in id order.
        taken: dict[tuple[int, str], str] = {}
        for source in sources:
            key, look = originals[source.pk]
            holder = taken.get((0, key)) or taken.get((1, look))
            if holder is not None:
                old_name = source.name
                # Nor may the new name take a key that a source not rewritten yet holds.
                others = [keys for pk, keys in originals.items() if pk != source.pk]
                number = 1
                clash = True
                while clash:
                    number += 1
                    candidate = _numbered(old_name, number)
                    key, look = keys_of(candidate)
                    clash = (0, key) in taken or (1, look) in taken
                    clash = clash or any(key == other[0] or look == other[1] for other in others)
                source.name = candidate
                source.version += 1
                source.updated_at = now
                events.using(using).create(
                    account_id=source.account_id,
                    user=None,
                    action="renamed",
                    source_id_ref=source.pk,
                    source_name=candidate,
                    details={"old": old_name, "new": candidate, "like": holder},
                    at=now,
                )
                renamed.append(source.pk)
            taken[(0, key)] = source.name
            taken[(1, look)] = source.name
            source.name_key, source.look_key = key, look
            source.save(using=using, update_fields=["name", "name_key", "look_key", "version", "updated_at"])
    return renamed
