"""Campaign reads: the catalogue the list pages' choices come from."""

from __future__ import annotations

from typing import Any

import pytest

from headwater.campaigns.selectors import CATALOGUE_FIELDS, campaign_catalogue
from headwater.sources.selectors import source_catalogue
from headwater.testing.factories import AccountFactory, CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db


def _shown(campaigns: list[Any]) -> list[tuple[Any, ...]]:
    """What a choice shows of each campaign, in order."""
    return [(c.pk, c.account_id, c.source_id, c.name, c.archived, c.source.pk, c.source.name) for c in campaigns]


def test_the_catalogue_given_the_sources_is_the_same_list_in_one_query(django_assert_num_queries: Any) -> None:
    account = AccountFactory()
    # Positions out of creation order, an archived source and archived campaigns, names that sort across sources.
    late = SourceFactory(account=account, name="Late", position=2)
    early = SourceFactory(account=account, name="Early", position=1)
    gone = SourceFactory(account=account, name="Gone", position=3, archived=True)
    for source, names in ((late, ["b", "a"]), (early, ["z", "y"]), (gone, ["m"])):
        for name in names:
            CampaignFactory(source=source, name=name, archived=name in ("y", "m"))
    other = CampaignFactory(name="a")  # another account's, same name
    full = campaign_catalogue(account=account)
    sources = source_catalogue(account=account)
    with django_assert_num_queries(1):
        named = campaign_catalogue(account=account, sources=sources)
        assert _shown(named) == _shown(full)
    assert [c.name for c in named] == ["y", "z", "a", "b", "m"]
    assert other.pk not in {c.pk for c in named}
    assert all(c.source is next(s for s in sources if s.pk == c.source_id) for c in named)
    assert set(named[0].get_deferred_fields()) == {
        f.attname for f in named[0]._meta.concrete_fields if f.attname not in CATALOGUE_FIELDS
    }


def test_a_source_missing_from_the_given_ones_is_read_when_asked() -> None:
    campaign = CampaignFactory(name="x")
    (found,) = campaign_catalogue(account=campaign.account, sources=[])
    assert found.source.name == campaign.source.name
