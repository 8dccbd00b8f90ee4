"""Exchange rates the admin keeps so statistics can add up deals in other currencies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel

# 15 significant digits: SQLite keeps decimals as doubles, which hold 15 digits exactly.
RATE_MAX_DIGITS = 15
RATE_DECIMAL_PLACES = 8


class ExchangeRate(TenantModel):
    """How much one unit of `currency` is worth in `base_currency` (the account's base currency when it was set).

    The base is stored with the rate: when the account's base currency changes, old rates stop applying
    (statistics then show those deals apart with a warning) instead of converting at a rate meant for another base.
    """

    currency = models.CharField(_("currency"), max_length=3)
    base_currency = models.CharField(_("base currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMAL_PLACES)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["account", "currency"], name="exchangerate_account_currency_uniq"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.base_currency}"
