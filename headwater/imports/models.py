"""An import: one uploaded file and how to read it. The wizard's later steps add the mapping, counts and a job."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")


class Import(TenantModel):
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(_("file name"), max_length=255)
    # Relative to IMPORT_FILES_DIR; the name is ours (a random token), never the uploader's.
    stored_path = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=4)  # csv, xlsx, ods
    # How to read it, as detected or set by the user: encoding, delimiter, header_row, sheet (reading.Detected).
    settings = models.JSONField(default=dict)
    columns = models.JSONField(default=list)  # the header's names
    mapping = models.JSONField(default=list)  # a target key (columns.Target.key) or None per column
    state = models.CharField(max_length=16, choices=ImportState.choices, default=ImportState.UPLOADED)

    class Meta:
        indexes = [models.Index(fields=["account", "created_at"], name="import_account_created_idx")]

    def __str__(self) -> str:
        return self.file_name
