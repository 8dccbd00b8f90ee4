"""Reads every record kind shares."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from headwater.core.models import Account
from headwater.records.models import CrmRecord


def linked_to(*, account: Account, record: CrmRecord, related_name: str) -> QuerySet[Any]:
    """The account's records that link to `record` through the reverse relation `related_name` (a company's
    "persons" and "deals", a person's "deals").

    Through the model's metadata: the kinds that link to a record sit above it (the persons app imports the companies
    app), so the record's app never imports them.
    """
    relation: Any = record._meta.get_field(related_name)
    manager: Any = relation.related_model.objects
    linked: QuerySet[Any] = manager.for_account(account).filter(**{relation.field.name: record})
    return linked
