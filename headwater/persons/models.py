from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from headwater.records.models import CrmRecord


class Person(CrmRecord):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="persons",
        db_index=False,
    )

    class Meta(CrmRecord.Meta):
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        # The owner's and the source's lists sort by (last_name, first_name, id): their indexes give last_name and
        # PostgreSQL sorts each surname's few rows by the rest, so a trailing id would only weigh (8 bytes a row;
        # duplicates then share one entry). created_at hardly ever ties, so its index ends there too.
        indexes = [
            models.Index(fields=["account", "last_name", "first_name", "id"], name="person_account_name_idx"),
            models.Index(fields=["account", "created_at"], name="person_account_created_idx"),
            models.Index(fields=["account", "email", "id"], name="person_account_email_idx"),
            models.Index(fields=["account", "company"], name="person_account_company_idx"),
            models.Index(fields=["account", "owner", "last_name"], name="person_account_owner_idx"),
            models.Index(fields=["account", "source", "last_name"], name="person_account_source_idx"),
            models.Index(fields=["account", "campaign"], name="person_account_campaign_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
