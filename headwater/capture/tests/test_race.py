"""The same e-mail sent twice at once makes one person: lead intake takes the account's lead lock, so the second
request waits for the first to commit and then finds the person; leads naming a campaign race its archive, delete
and source merge (PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from headwater.campaigns.models import Campaign
from headwater.campaigns.services import campaign_delete, campaign_update
from headwater.capture import services
from headwater.capture.models import Touch
from headwater.core.errors import ValidationFailed
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import Source
from headwater.sources.services import source_merge
from headwater.stats.tally_drift import tally_drift
from headwater.testing.factories import AccountFactory, CampaignFactory, SourceFactory
from headwater.testing.races import POSTGRES_RACE, race, rounds

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_the_same_email_sent_at_once_makes_one_person(tenant):
    errors: list[BaseException] = []
    for round_ in range(ROUNDS):
        barrier = threading.Barrier(4)

        def go(round_: int = round_, barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                services.lead_capture(
                    account=tenant.account,
                    user=None,
                    channel="race",
                    person={"last_name": "Race", "email": f"race{round_}@example.pl"},
                    touch={"utm_source": "x"},
                )
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=go) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        assert Person.objects.for_account(tenant.account).filter(email=f"race{round_}@example.pl").count() == 1
    assert Touch.objects.for_account(tenant.account).count() == 4 * ROUNDS


class TestLeadsAgainstTheirCampaign:
    """Leads naming a campaign while an admin archives or deletes it, or merges its source away: each lead is taken
    (with the campaign, or without it when it went first), never refused for it, never a deadlock."""

    pytestmark = POSTGRES_RACE

    @pytest.mark.parametrize("attempt", range(rounds(20)))
    def test_leads_race_an_archive_a_delete_and_a_merge(self, attempt):
        account = AccountFactory(sources_enabled=True)
        services.capture_rules_seed_defaults(account=account, user=None)
        email = Source.objects.for_account(account).get(name="E-mail campaign")
        spring = CampaignFactory(source=email, name="Spring sale 2026")
        summer = CampaignFactory(source=email, name="Summer")
        into = SourceFactory(account=account, name="Into")

        def lead(number: int, campaign: str) -> Any:
            return services.lead_capture(
                account=account,
                user=None,
                channel="race",
                person={"last_name": "Race", "email": f"race{number}@example.pl"},
                deal={},
                touch={"utm_medium": "email", "utm_campaign": campaign},
            )

        def archive() -> None:
            campaign_update(account=account, user=None, campaign=spring, version=None, archived=True)

        def delete() -> None:
            campaign_delete(account=account, user=None, campaign=summer)

        if attempt % 2:
            others: list[Any] = [archive, delete]
        else:
            others = [lambda: source_merge(account=account, user=None, source=into, into=email), delete]
        results = race(
            lambda: lead(1, "spring_sale_2026"),
            lambda: lead(2, "SUMMER"),
            lambda: lead(3, "summer"),
            *others,
        )
        leads = results[:3]
        assert not [r for r in leads if isinstance(r, Exception)], results
        for result in results[3:]:
            # A delete of a campaign a lead took first is refused; nothing else may fail.
            assert not isinstance(result, Exception) or isinstance(result, ValidationFailed), results
        deleted = not Campaign.objects.for_account(account).filter(pk=summer.pk).exists()
        for result in leads:
            records = [
                Person.objects.for_account(account).get(pk=result.person.pk),
                Deal.objects.for_account(account).get(pk=result.deal.pk),
            ]
            assert len({record.campaign_id for record in records}) == 1
            if result.campaign is not None:
                assert records[0].campaign_id == result.campaign.pk
                assert not (deleted and result.campaign.pk == summer.pk)
            else:
                assert records[0].campaign_id is None
        assert tally_drift(account_ids=[account.pk]) == {}
