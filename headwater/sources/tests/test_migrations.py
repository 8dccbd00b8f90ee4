"""The migration to look-alike-proof keys, run on a database that already holds names which now collide."""

from __future__ import annotations

import unicodedata

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from headwater.core.text import name_key, name_look_key
from headwater.sources.models import Source, SourceEvent
from headwater.testing.schema import tally_triggers_restored

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("sources", "0002_initial")]
AFTER = [("sources", "0003_lookalike_names")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema():
    apps = _migrate(BEFORE)
    yield apps
    # Whatever happened, leave the schema as the rest of the suite expects it.
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    tally_triggers_restored()


def test_existing_lookalikes_are_numbered_and_the_keys_filled(old_schema):
    account_model = old_schema.get_model("core", "Account")
    source_model = old_schema.get_model("sources", "Source")
    account = account_model._base_manager.create(name="Old", slug="old-data", currency="PLN", language="pl")
    other = account_model._base_manager.create(name="Other", slug="other-data", currency="PLN", language="pl")
    # Under the old key (NFKC, case folded, trimmed) all of these were different names.
    names = [
        (account, "Strona WWW"),
        (account, "Strona  WWW"),
        (account, "Partner"),
        (account, "\u0420\u0430rtner"),  # Cyrillic capital er and small a
        (account, "Partner (2)"),  # the number the second "Partner" would get is taken
        (account, "Polecenie"),
        (account, "Polecénie"),
        (account, "Target"),
        (other, "Partner"),  # another account: no clash
    ]
    created = [
        source_model.unscoped.create(
            account_id=owner.pk,
            name=name,
            name_key=unicodedata.normalize("NFKC", name).strip().casefold(),
            position=index,
            version=1,
        )
        for index, (owner, name) in enumerate(names)
    ]

    _migrate(AFTER)

    # Only the columns of the schema at AFTER: later migrations add others (the channel) that do not exist yet.
    by_id = {source.pk: source for source in Source.unscoped.only("id", "name")}
    got = [by_id[source.pk].name for source in created]
    assert got == [
        "Strona WWW",
        "Strona WWW (2)",
        "Partner",
        "\u0420\u0430rtner (3)",
        "Partner (2)",
        "Polecenie",
        "Polecénie (2)",
        "Target",
        "Partner",
    ]
    for source in by_id.values():
        assert (source.name_key, source.look_key) == (name_key(source.name), name_look_key(source.name))
    renamed = {created[i].pk for i in (1, 3, 6)}
    assert {pk for pk, source in by_id.items() if source.version == 2} == renamed
    events = SourceEvent.unscoped.filter(action="renamed").order_by("source_id_ref")
    assert [(e.source_id_ref, e.user_id, e.details) for e in events] == [
        (created[1].pk, None, {"old": "Strona  WWW", "new": "Strona WWW (2)", "like": "Strona WWW"}),
        (created[3].pk, None, {"old": "\u0420\u0430rtner", "new": "\u0420\u0430rtner (3)", "like": "Partner"}),
        (created[6].pk, None, {"old": "Polecénie", "new": "Polecénie (2)", "like": "Polecenie"}),
    ]


def test_a_long_name_is_shortened_to_fit_its_number(old_schema):
    account_model = old_schema.get_model("core", "Account")
    source_model = old_schema.get_model("sources", "Source")
    account = account_model._base_manager.create(name="Long", slug="long-data", currency="PLN", language="en")
    # Small Ls and capital Is: different old keys, the same look.
    first = source_model.unscoped.create(account_id=account.pk, name="l" * 100, name_key="l" * 100, position=1)
    second = source_model.unscoped.create(account_id=account.pk, name="I" * 100, name_key="i" * 100, position=2)

    _migrate(AFTER)

    names = Source.unscoped.values_list("name", flat=True)
    assert names.get(pk=first.pk) == "l" * 100
    assert names.get(pk=second.pk) == "I" * 96 + " (2)"
