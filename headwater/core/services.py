"""Writes about the account (tenant) itself."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from headwater.core.errors import Conflict
from headwater.core.models import Account
from headwater.core.text import clean_name


@transaction.atomic
def account_update_settings(
    *, account: Account, version: int, name: str, currency: str, language: str, time_zone: str
) -> Account:
    """Change the account's general settings; refused when someone else saved them since `version` was read."""
    from headwater.stats.services import (  # noqa: PLC0415 — statistics build on the core, not the other way round
        tallies_lock_account,
        tallies_rebuild,
    )

    # The same rule as every name, also for callers that bypass the settings form.
    name = clean_name(name, field="name", required=_("Enter the account name."))
    zone_changes = time_zone != account.time_zone
    if zone_changes:
        # Before the new zone is visible, so no record is tallied under the old one after the rebuild.
        tallies_lock_account(account_id=account.pk)
    updated = Account.objects.filter(pk=account.pk, settings_version=version).update(
        name=name, currency=currency, language=language, time_zone=time_zone, settings_version=F("settings_version") + 1
    )
    if not updated:
        raise Conflict(_("Someone else changed these settings in the meantime. Reload the page and try again."))
    account.refresh_from_db()
    if zone_changes:
        # The zone decides each record's local month and a closed deal's days to close.
        tallies_rebuild(account_ids=[account.pk])
    return account
