"""Fields every CRM record (company, person, deal) shares."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel


class RecordOrigin(models.TextChoices):
    """How a record came to exist, apart from its (acquisition) source: who typed it in, not where the customer
    came from. Set once, by the path that creates the record; never changed and never sent by a client."""

    HAND = "hand", _("by hand")
    API = "api", _("through the API")
    IMPORT = "import", _("by import")
    WEB_FORM = "web_form", _("through a web form")
    DEMO = "demo", _("as demo data")
    # Records created before Headwater kept this: it cannot tell any more whether they were typed or sent.
    UNKNOWN = "unknown", _("before Headwater recorded how")


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
    # A campaign of the record's source (records.services.settle_campaign keeps the two in agreement). DO_NOTHING,
    # as for the source: a campaign's delete refuses while records carry it.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("campaign"),
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
    origin = models.CharField(
        _("created"),
        max_length=10,
        choices=RecordOrigin.choices,
        default=RecordOrigin.UNKNOWN,
        db_default=RecordOrigin.UNKNOWN,
        editable=False,
    )
    # The import that created the record (with origin "import"). A plain number, not a foreign key: the imports app
    # sits above the records (the layers in pyproject.toml), and an import's log outlives the import it describes.
    origin_import_id = models.BigIntegerField(null=True, blank=True, editable=False)
    # What the list search matches: the record's searchable text (and linked names), folded; see records/search.py.
    # The services keep it current; anything writing records around them must call records.search too.
    search_key = models.TextField(default="", blank=True, editable=False)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(origin=RecordOrigin.IMPORT, origin_import_id__isnull=False)
                    | (~models.Q(origin=RecordOrigin.IMPORT) & models.Q(origin_import_id__isnull=True))
                ),
                name="%(class)s_origin_import_id",
            )
        ]
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
