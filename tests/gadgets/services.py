"""A gadget's writes, from the shared record services (as a new kind's would be)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from headwater.companies.services import company_in_account
from headwater.core.models import Account
from headwater.core.types import UNSET
from headwater.records.services import (
    apply_source_change,
    clean_required_name,
    lock_for_update,
    owner_in_account,
    record_delete,
    save_new_record,
    save_updated_record,
    source_for_new_record,
)
from headwater.sources.models import HowChanged
from tests.gadgets.models import Gadget


@transaction.atomic
def gadget_create(
    *,
    account: Account,
    user: Any,
    name: str,
    company: Any = None,
    owner: Any = None,
    source: Any = UNSET,
    source_how: HowChanged = HowChanged.TYPED,
    **_ignored: Any,
) -> Gadget:
    gadget = Gadget(
        account=account,
        name=clean_required_name(name, "name", "Enter a name."),
        company=company_in_account(account=account, company=company),
        owner=owner_in_account(account=account, owner=owner),
        created_by=user,
    )
    picked, how = source_for_new_record(account=account, source=source, how=source_how, company=None, person=None)
    return save_new_record(gadget, account=account, user=user, source=picked, how=how)


@transaction.atomic
def gadget_update(
    *,
    account: Account,
    user: Any,
    gadget: Gadget,
    version: int | None,
    source_how: HowChanged = HowChanged.TYPED,
    **changes: Any,
) -> Gadget:
    locked = lock_for_update(Gadget, account=account, record=gadget, version=version)
    if "name" in changes:
        locked.name = clean_required_name(changes["name"], "name", "Enter a name.")
    if "owner" in changes:
        locked.owner = owner_in_account(account=account, owner=changes["owner"])
    if "source" in changes:
        apply_source_change(locked, account=account, user=user, source=changes["source"], how=source_how)
    save_updated_record(locked)
    return locked


@transaction.atomic
def gadget_delete(*, account: Account, user: Any, gadget: Gadget, version: int | None = None) -> None:
    record_delete(Gadget, account=account, record=gadget, version=version)
