from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from headwater.records.models import CrmRecord


class Company(CrmRecord):
    name = models.CharField(_("name"), max_length=200)
    tax_id = models.CharField(_("tax ID"), max_length=32, blank=True)
    regon = models.CharField(_("REGON"), max_length=14, blank=True)
    website = models.CharField(_("website"), max_length=300, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)

    class Meta(CrmRecord.Meta):
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        # created_at hardly ever ties: its index ends there (PostgreSQL sorts a rare tie by id).
        indexes = [
            models.Index(fields=["account", "name", "id"], name="company_account_name_idx"),
            models.Index(fields=["account", "created_at"], name="company_account_created_idx"),
            models.Index(fields=["account", "city", "id"], name="company_account_city_idx"),
            models.Index(fields=["account", "owner", "name", "id"], name="company_account_owner_idx"),
            models.Index(fields=["account", "source", "name", "id"], name="company_account_source_idx"),
            models.Index(fields=["account", "campaign"], name="company_account_campaign_idx"),
        ]

    def __str__(self) -> str:
        return self.name
