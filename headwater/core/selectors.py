from __future__ import annotations

from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.deals.models import Deal, DealStatus
from headwater.persons.models import Person


def dashboard_counts(*, account: Account) -> dict[str, int]:
    return {
        "companies": Company.objects.for_account(account).count(),
        "persons": Person.objects.for_account(account).count(),
        "open_deals": Deal.objects.for_account(account).filter(status=DealStatus.OPEN).count(),
    }
