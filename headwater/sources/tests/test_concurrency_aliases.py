"""Races on aliases (PostgreSQL): one spelling ends up standing for one source, whichever write comes first."""

from __future__ import annotations

from headwater.core.errors import ValidationFailed
from headwater.core.text import name_key
from headwater.sources import services
from headwater.sources.models import Source, SourceAlias
from headwater.testing.factories import SourceFactory
from headwater.testing.races import POSTGRES_RACE, race, rounds

pytestmark = POSTGRES_RACE

ROUNDS = rounds(120)


def _spelt(account, text):
    key = name_key(text)
    return (
        Source.objects.for_account(account).filter(name_key=key).count()
        + SourceAlias.objects.for_account(account).filter(key=key).count()
    )


def test_the_same_alias_for_two_sources_at_once_one_wins(tenant):
    account = tenant.account
    for round_ in range(ROUNDS):
        left = SourceFactory(account=account, name=f"Left {round_}")
        right = SourceFactory(account=account, name=f"Right {round_}")
        text = f"Twin alias {round_}"
        results = race(
            lambda s=left, t=text: services.source_alias_create(account=account, user=None, source=s, text=t),
            lambda s=right, t=text: services.source_alias_create(account=account, user=None, source=s, text=t.upper()),
        )
        created = [r for r in results if isinstance(r, SourceAlias)]
        refused = [r for r in results if isinstance(r, ValidationFailed)]
        assert (len(created), len(refused)) == (1, 1), results
        assert "already an alias" in refused[0].fields["text"][0]
        assert _spelt(account, text) == 1


def test_a_source_and_an_alias_of_the_same_spelling_at_once_one_wins(tenant):
    """Two tables, no shared constraint: the account row lock decides (services._lock_name_space)."""
    account = tenant.account
    for round_ in range(ROUNDS):
        other = SourceFactory(account=account, name=f"Other {round_}")
        text = f"Contested {round_}"
        results = race(
            lambda t=text: services.source_create(account=account, user=None, name=t),
            lambda s=other, t=text: services.source_alias_create(account=account, user=None, source=s, text=t),
        )
        refused = [r for r in results if isinstance(r, ValidationFailed)]
        assert len(refused) == 1, results
        assert _spelt(account, text) == 1
