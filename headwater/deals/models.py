from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from headwater.core.indexes import NullsLowIndex
from headwater.records.models import CrmRecord


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Deal(CrmRecord):
    name = models.CharField(_("name"), max_length=200)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=4, choices=DealStatus.choices, default=DealStatus.OPEN)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    # The day (in the account's time zone) the deal was won or lost; empty while open.
    closed_at = models.DateField(_("closed on"), null=True, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=300, blank=True)
    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        db_index=False,
    )
    person = models.ForeignKey(
        "persons.Person",
        verbose_name=_("person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        db_index=False,
    )

    class Meta(CrmRecord.Meta):
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        # Indexes whose sort starts with created_at end there: creation instants hardly ever tie, so PostgreSQL
        # breaks the rare tie on the key with an incremental sort, and 8 bytes fewer per entry keep the indexes
        # under twice the table (SQLite appends the rowid to every index entry anyway).
        indexes = [
            models.Index(fields=["account", "name", "id"], name="deal_account_name_idx"),
            # The close day after the creation instant: a close-day filter on a list sorted by creation ("closed in
            # a month", "won in a quarter from a source", newest created first) is then tested in the index as it
            # is walked, where it used to read each deal's row (30,488 of them for 26 closed in September 2026).
            models.Index(fields=["account", "created_at", "closed_at"], name="deal_account_created_close_idx"),
            models.Index(fields=["account", "value", "id"], name="deal_account_value_idx"),
            models.Index(fields=["account", "status", "created_at"], name="deal_account_status_idx"),
            models.Index(fields=["account", "company"], name="deal_account_company_idx"),
            models.Index(fields=["account", "person"], name="deal_account_person_idx"),
            models.Index(fields=["account", "owner", "created_at"], name="deal_account_owner_idx"),
            models.Index(fields=["account", "source", "created_at"], name="deal_account_source_idx"),
            models.Index(fields=["account", "campaign"], name="deal_account_campaign_idx"),
            # The close-day sort (newest first, open deals last; its reverse read backward) and the close-day
            # filters: the Statistics' "won in a quarter", "closed in a month" read 26 entries of it instead of
            # walking the creation index past every deal created since (docs/performance.md).
            NullsLowIndex(fields=["account", "-closed_at", "-id"], name="deal_account_close_order_idx"),
        ]
        constraints = [
            *CrmRecord.Meta.constraints,
            models.CheckConstraint(condition=models.Q(value__gte=0), name="deal_value_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name
