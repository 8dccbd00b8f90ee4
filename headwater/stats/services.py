"""Writes of the statistics area: the exchange rates an admin keeps for converting deal values."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.core.errors import Conflict, ValidationFailed
from headwater.core.models import Account
from headwater.stats.models import RATE_DECIMAL_PLACES, RATE_MAX_DIGITS, ExchangeRate
from headwater.users.models import User

_CURRENCY = re.compile(r"[A-Z]{3}")


def _clean_currency(*, account: Account, currency: str) -> str:
    code = currency.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise ValidationFailed.on("currency", _("Enter a three-letter currency code, such as EUR."))
    if code == account.currency:
        raise ValidationFailed.on(
            "currency", _("%(code)s is the account's base currency; it always converts at 1.") % {"code": code}
        )
    return code


def _clean_rate(rate: Decimal) -> Decimal:
    try:
        value = Decimal(rate)
        exponent = value.as_tuple().exponent
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationFailed.on("rate", _("Enter a number.")) from exc
    if not value.is_finite() or value <= 0:
        raise ValidationFailed.on("rate", _("The rate must be a number greater than zero."))
    if isinstance(exponent, int) and -exponent > RATE_DECIMAL_PLACES:
        # Refused rather than rounded: a rate is never changed behind the admin's back.
        raise ValidationFailed.on("rate", _("Use at most %(places)d decimal places.") % {"places": RATE_DECIMAL_PLACES})
    if value.adjusted() >= RATE_MAX_DIGITS - RATE_DECIMAL_PLACES:
        raise ValidationFailed.on("rate", _("The rate is too large."))
    return value


@transaction.atomic
def exchange_rate_create(*, account: Account, user: User | None, currency: str, rate: Decimal) -> ExchangeRate:
    """A rate for a currency that has none yet: 1 `currency` = `rate` in the account's base currency."""
    code = _clean_currency(account=account, currency=currency)
    value = _clean_rate(rate)
    if ExchangeRate.objects.for_account(account).filter(currency=code).exists():
        raise ValidationFailed.on(
            "currency", _("There is already a rate for %(code)s; change it in the list.") % {"code": code}
        )
    try:
        with transaction.atomic():
            return ExchangeRate.objects.create(
                account=account,
                currency=code,
                base_currency=account.currency,
                rate=value,
                updated_by=user,
                updated_at=timezone.now(),
            )
    except IntegrityError as exc:
        # Someone added the same currency between our check and the insert.
        raise ValidationFailed.on(
            "currency", _("There is already a rate for %(code)s; change it in the list.") % {"code": code}
        ) from exc


@transaction.atomic
def exchange_rate_update(
    *, account: Account, user: User | None, exchange_rate: ExchangeRate, version: int, rate: Decimal
) -> ExchangeRate:
    """Change a rate (and tie it to the current base currency); refused when someone changed it since `version`."""
    value = _clean_rate(rate)
    updated = (
        ExchangeRate.objects.for_account(account)
        .filter(pk=exchange_rate.pk, version=version)
        .update(
            rate=value,
            base_currency=account.currency,
            version=F("version") + 1,
            updated_at=timezone.now(),
            updated_by=user,
        )
    )
    if not updated:
        raise Conflict(_("Someone else changed or deleted this rate in the meantime. Reload the page and try again."))
    return ExchangeRate.objects.for_account(account).get(pk=exchange_rate.pk)


@transaction.atomic
def exchange_rate_delete(*, account: Account, user: User | None, exchange_rate: ExchangeRate) -> None:
    """Remove a rate: deals in that currency are then shown apart in statistics, with a warning."""
    ExchangeRate.objects.for_account(account).filter(pk=exchange_rate.pk).delete()
