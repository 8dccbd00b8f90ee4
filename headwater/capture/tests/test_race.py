"""The same e-mail sent twice at once makes one person: lead intake takes the account's lead lock, so the second
request waits for the first to commit and then finds the person (PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from headwater.capture import services
from headwater.capture.models import Touch
from headwater.persons.models import Person

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
