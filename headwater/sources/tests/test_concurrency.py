"""Races on PostgreSQL: real threads, each with its own connection, released together by a barrier.

SQLite serialises every writer (IMMEDIATE transactions), so these only mean something on PostgreSQL. Each race
runs a few rounds in the normal suite and 120 with HEADWATER_LONG=1.
"""

from __future__ import annotations

from headwater.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from headwater.core.text import name_key, name_look_key
from headwater.deals.models import Deal
from headwater.deals.services import deal_update
from headwater.sources import services
from headwater.sources.models import HowChanged, Source, SourceChange
from headwater.testing.factories import DealFactory, SourceFactory
from headwater.testing.races import POSTGRES_RACE, race, rounds

pytestmark = POSTGRES_RACE

ROUNDS = rounds(120)


def test_two_renames_with_the_same_version_one_wins(tenant):
    for round_ in range(ROUNDS):
        source = SourceFactory(account=tenant.account, name=f"Race {round_}")
        results = race(
            lambda s=source, r=round_: services.source_rename(
                account=tenant.account, user=tenant.admin, source=s, name=f"Left {r}", version=1
            ),
            lambda s=source, r=round_: services.source_rename(
                account=tenant.account, user=tenant.admin, source=s, name=f"Right {r}", version=1
            ),
        )
        winners = [r for r in results if isinstance(r, Source)]
        conflicts = [r for r in results if isinstance(r, Conflict)]
        assert (len(winners), len(conflicts)) == (1, 1), results
        source.refresh_from_db()
        assert source.name == winners[0].name
        assert source.version == 2


def test_two_creates_of_the_same_name_make_one_row(tenant):
    for round_ in range(ROUNDS):
        name = f"Twin {round_}"
        results = race(
            lambda n=name: services.source_create(account=tenant.account, user=tenant.admin, name=n),
            lambda n=name: services.source_create(account=tenant.account, user=tenant.admin, name=f"  {n.upper()} "),
        )
        created = [r for r in results if isinstance(r, Source)]
        refused = [r for r in results if isinstance(r, ValidationFailed)]
        assert (len(created), len(refused)) == (1, 1), results
        assert refused[0].fields["name"] == [f"A source named “{created[0].name}” already exists."]
        assert Source.objects.for_account(tenant.account).filter(name_key=name_key(name)).count() == 1


def test_two_creates_of_lookalike_names_make_one_row(tenant):
    """Names that share only the look key ("PiIot" has a capital I for the l): its constraint decides the race."""
    for round_ in range(ROUNDS):
        plain, lookalike = f"Pilot {round_}", f"PiIot {round_}"
        assert name_key(plain) != name_key(lookalike)
        results = race(
            lambda n=plain: services.source_create(account=tenant.account, user=tenant.admin, name=n),
            lambda n=lookalike: services.source_create(account=tenant.account, user=tenant.admin, name=n),
        )
        created = [r for r in results if isinstance(r, Source)]
        refused = [r for r in results if isinstance(r, ValidationFailed)]
        assert (len(created), len(refused)) == (1, 1), results
        assert f"“{created[0].name}”" in refused[0].fields["name"][0]
        assert Source.objects.for_account(tenant.account).filter(look_key=name_look_key(plain)).count() == 1


def test_merge_against_assigning_the_merged_source_to_a_deal(tenant):
    """Either the deal got A first and the merge moved it to B, or the assignment was refused; never dangling."""
    tenant.account.sources_enabled = True
    tenant.account.save()
    outcomes = set()
    for round_ in range(ROUNDS):
        a = SourceFactory(account=tenant.account, name=f"A {round_}")
        b = SourceFactory(account=tenant.account, name=f"B {round_}")
        DealFactory(account=tenant.account, source=a)  # so the merge has work to do
        deal = DealFactory(account=tenant.account)
        results = race(
            lambda a=a, b=b: services.source_merge(account=tenant.account, user=tenant.admin, source=a, into=b),
            lambda a=a, d=deal: deal_update(account=tenant.account, user=tenant.admin, deal=d, version=1, source=a.pk),
        )
        merged, assigned = results
        assert isinstance(merged, int), merged
        assert not Source.unscoped.filter(pk=a.pk).exists()
        deal.refresh_from_db()
        if isinstance(assigned, Deal):
            assert deal.source_id == b.pk, "assigned before the merge, so the merge must have moved it"
            assert merged == 2
            assert deal.version == 3
            hows = list(
                SourceChange.objects.for_account(tenant.account)
                .filter(record_type="deal", record_id=deal.pk)
                .order_by("id")
                .values_list("how", flat=True)
            )
            assert hows == [HowChanged.TYPED, HowChanged.MERGE]
            outcomes.add("assigned-then-moved")
        else:
            assert isinstance(assigned, (ValidationFailed, NotFound)), assigned
            assert "source" in assigned.fields
            assert deal.source_id is None
            assert deal.version == 1
            assert merged == 1
            outcomes.add("refused")
        assert not Deal.unscoped.filter(source_id=a.pk).exists()
    assert outcomes  # at least one round ran; which interleavings occur depends on scheduling


def test_delete_clear_against_assignment(tenant):
    """A clear that counted N records must not clear a record assigned meanwhile that the admin never saw."""
    tenant.account.sources_enabled = True
    tenant.account.save()
    for round_ in range(ROUNDS):
        a = SourceFactory(account=tenant.account, name=f"C {round_}")
        DealFactory(account=tenant.account, source=a)
        deal = DealFactory(account=tenant.account)
        results = race(
            lambda a=a: services.source_delete(
                account=tenant.account, user=tenant.admin, source=a, mode="clear", expected_count=1
            ),
            lambda a=a, d=deal: deal_update(account=tenant.account, user=tenant.admin, deal=d, version=1, source=a.pk),
        )
        cleared, assigned = results
        deal.refresh_from_db()
        if isinstance(assigned, Deal):
            # The assignment won: the count is now 2, so the clear is refused and nothing is lost.
            assert isinstance(cleared, Conflict), cleared
            assert deal.source_id == a.pk
            assert Source.unscoped.filter(pk=a.pk).exists()
        else:
            assert cleared is None, cleared
            assert isinstance(assigned, DomainError), assigned
            assert deal.source_id is None
            assert not Source.unscoped.filter(pk=a.pk).exists()
        assert not Deal.unscoped.filter(source_id=a.pk).exclude(account=tenant.account).exists()


def test_reorder_against_merge_never_deadlocks(tenant):
    for round_ in range(ROUNDS):
        Deal.objects.for_account(tenant.account).delete()
        Source.objects.for_account(tenant.account).delete()
        sources = [SourceFactory(account=tenant.account, name=f"R{round_}-{i}", position=10 - i) for i in range(4)]
        DealFactory(account=tenant.account, source=sources[0])
        ids = [s.pk for s in sources]
        results = race(
            lambda ids=ids: services.source_reorder(account=tenant.account, user=tenant.admin, ordered_ids=ids),
            lambda s=sources: services.source_merge(account=tenant.account, user=tenant.admin, source=s[3], into=s[0]),
        )
        reordered, merged = results
        assert merged == 0, merged
        # The reorder either ran first (and succeeded) or saw one source fewer and was refused cleanly.
        assert reordered is None or isinstance(reordered, ValidationFailed), reordered
        assert Source.objects.for_account(tenant.account).count() == 3
