"""Campaigns: optional named periods of spending under an acquisition source ("Spring sale" under "Google Ads")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel
from headwater.sources.models import HowChanged

CAMPAIGN_NAME_MAX_LENGTH = 100


class Campaign(TenantModel):
    """A campaign of one source. Companies, persons and deals may carry one (records.models.CrmRecord.campaign)."""

    # A campaign cannot lose its source: the source's delete refuses while it has campaigns, a merge moves them
    # (sources.models.source_parts). DO_NOTHING: the database constraint is the last word, as for the records.
    source = models.ForeignKey(
        "sources.Source",
        verbose_name=_("source"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=CAMPAIGN_NAME_MAX_LENGTH)
    # name_key (core.text.name_key), computed by the services: names differing only in case, accents or spacing
    # collide within one source.
    name_key = models.CharField(max_length=CAMPAIGN_NAME_MAX_LENGTH * 3, editable=False)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)  # empty: still running
    # Empty: no budget planned. The currency goes with an amount (a deal's rules: three letters, the account's
    # currency by default), and is empty without one.
    budget = models.DecimalField(_("planned budget"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    archived = models.BooleanField(_("archived"), default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "source", "name_key"], name="campaign_source_name_key_uniq"),
            models.CheckConstraint(
                condition=models.Q(budget__isnull=True) | models.Q(budget__gte=0), name="campaign_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="campaign_end_not_before_start",
            ),
        ]
        indexes = [models.Index(fields=["account", "source", "name"], name="campaign_account_source_idx")]

    def __str__(self) -> str:
        return self.name


class CampaignChange(TenantModel):
    """One change of one record's campaign (append-only). Names are copied so history survives renames and deletes;
    `how` says it as the source history does (sources.models.HowChanged: typed, API, bulk...)."""

    record_type = models.CharField(max_length=10)  # the record's model name ("deal"), as in the source history
    record_id = models.BigIntegerField()
    old_campaign_id = models.BigIntegerField(null=True, blank=True)
    old_name = models.CharField(max_length=CAMPAIGN_NAME_MAX_LENGTH, blank=True)
    new_campaign_id = models.BigIntegerField(null=True, blank=True)
    new_name = models.CharField(max_length=CAMPAIGN_NAME_MAX_LENGTH, blank=True)
    how = models.CharField(max_length=10, choices=HowChanged.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["account", "record_type", "record_id", "-at"], name="campaignchange_record_idx"),
        ]
