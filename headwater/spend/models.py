"""The spend ledger: what an acquisition source (or one of its campaigns) cost, for a month or a range of days."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel
from headwater.spend.periods import month_range

NOTE_MAX_LENGTH = 500


class SpendEntry(TenantModel):
    """An amount spent on a source (or on one of its campaigns) from `start_date` to `end_date`, both included; a
    month is the range of its days. The statistics spread it evenly over its days (docs/statistics.md, "Spend")."""

    # Required: an entry is a part of its source (sources.models.source_parts): a delete of the source refuses
    # while it has spend, a merge moves the spend along. DO_NOTHING: the database constraint is the last word.
    source = models.ForeignKey(
        "sources.Source", verbose_name=_("source"), on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )
    # A campaign of that source (the services check it). Deleting the campaign keeps its spend on the source.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    # NUMERIC(14, 2), as a deal's value; more than zero.
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    note = models.CharField(_("note"), max_length=NOTE_MAX_LENGTH, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("spend entry")
        verbose_name_plural = _("spend entries")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="spend_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="spend_end_not_before_start"
            ),
        ]
        indexes = [
            # The statistics read the entries overlapping a period; the list filters by source.
            models.Index(fields=["account", "start_date", "end_date"], name="spend_account_period_idx"),
            models.Index(fields=["account", "source", "start_date"], name="spend_account_source_idx"),
            models.Index(fields=["account", "campaign"], name="spend_account_campaign_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    @property
    def is_month(self) -> bool:
        """Whether the entry is exactly one calendar month (shown as the month)."""
        return (self.start_date, self.end_date) == month_range(self.start_date)
