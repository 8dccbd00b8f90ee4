"""Fields every CRM record (company, person, deal) shares."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel


class CrmRecord(TenantModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # DO_NOTHING: the database constraint refuses deleting a source still in use; services always
    # clear or merge first, and Django's own PROTECT check would scan the table without the account.
    source = models.ForeignKey(
        "sources.Source",
        verbose_name=_("acquisition source"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    notes = models.TextField(_("notes"), blank=True)
    # Optimistic locking: every update says which version it read; a stale one is refused.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # What the list search matches: the record's searchable text (and linked names), folded; see records/search.py.
    # The services keep it current; anything writing records around them must call records.search too.
    search_key = models.TextField(default="", blank=True, editable=False)

    class Meta:
        abstract = True
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
