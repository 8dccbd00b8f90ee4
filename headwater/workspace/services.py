"""Writes about the account (tenant) itself: its general settings, whose time zone the statistics count days in."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from headwater.core.currencies import is_currency
from headwater.core.errors import Conflict, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import clean_name
from headwater.stats.services import tallies_lock_account, tallies_rebuild_enqueue
from headwater.users.models import User

# A minimum beyond any real account's closed deals would only hide the highlight; bounded so the column never
# overflows either.
STATS_MIN_CLOSED_MAX = 100_000


def _check_settings(*, name: str, currency: str, language: str, time_zone: str) -> str:
    """The same rules as the settings form, here too: the service is called by more than that form. Returns the
    name as it is stored (whitespace normalised, see core.text.clean_name)."""
    fields: dict[str, list[str]] = {}
    try:
        name = clean_name(name, field="name", required=_("Enter the account name."))
    except ValidationFailed as exc:
        fields.update(exc.fields)
    else:
        if len(name) > Account._meta.get_field("name").max_length:  # type: ignore[operator]  # the field declares a max_length, never None
            fields["name"] = [_("The name is too long (at most 200 characters).")]
    if not is_currency(currency):
        fields["currency"] = [_("Choose a currency by its ISO 4217 code, such as PLN or EUR.")]
    if language not in dict(settings.LANGUAGES):
        fields["language"] = [_("Choose one of the available languages.")]
    if time_zone not in zoneinfo.available_timezones():
        fields["time_zone"] = [_("Choose a time zone from the list.")]
    if fields:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=fields)
    return name


@transaction.atomic
def account_update_settings(
    *,
    account: Account,
    version: int,
    name: str,
    currency: str,
    language: str,
    time_zone: str,
    stats_min_closed: int | None = None,
    user: User | None = None,
) -> Account:
    """Change the account's general settings; refused when someone else saved them since `version` was read.

    A new time zone queues the recomputation of the statistics' tallies, a background job started by `user`
    (stats.services.tallies_rebuild_enqueue; Statistics says the figures are being recomputed until it is done). It
    is compared with the zone stored for `version`, read
    afresh: the instance passed in may already carry the new values (a form bound to it sets them while it
    validates), and comparing with it would skip the recomputation.
    """
    name = _check_settings(name=name, currency=currency, language=language, time_zone=time_zone)
    stored = (
        Account.objects.filter(pk=account.pk).values_list("time_zone", "settings_version", "stats_min_closed").first()
    )
    if stored is None or stored[1] != version:
        raise Conflict(_("Someone else changed these settings in the meantime. Reload the page and try again."))
    if stats_min_closed is None:
        # The stored value, not the instance's: a form bound to the instance has already set its empty field there.
        stats_min_closed = stored[2]
    if isinstance(stats_min_closed, bool) or not 1 <= stats_min_closed <= STATS_MIN_CLOSED_MAX:
        raise ValidationFailed.on(
            "stats_min_closed",
            _("Enter a whole number from 1 to %(max)d.") % {"max": STATS_MIN_CLOSED_MAX},
        )
    zone_changes = time_zone != stored[0]
    if zone_changes:
        # Before the new zone is visible, so no record is tallied under the old one after the rebuild.
        tallies_lock_account(account_id=account.pk)
    # Still conditional on the version: what was read above is the zone being replaced only if nobody saved since.
    updated = Account.objects.filter(pk=account.pk, settings_version=version).update(
        name=name,
        currency=currency,
        language=language,
        time_zone=time_zone,
        stats_min_closed=stats_min_closed,
        settings_version=F("settings_version") + 1,
    )
    if not updated:
        raise Conflict(_("Someone else changed these settings in the meantime. Reload the page and try again."))
    account.refresh_from_db()
    if zone_changes:
        # The zone decides each record's local month and a closed deal's days to close. Queued in this transaction:
        # the change and its job are kept together or not at all.
        tallies_rebuild_enqueue(account=account, user=user, label=time_zone)
    return account
