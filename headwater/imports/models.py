"""An import: one uploaded file and how to read it. The wizard's later steps add the mapping, counts and a job."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    QUEUED = "queued", _("Queued")  # its job is queued or running (a stale job shows it as failed)
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class DuplicateMode(models.TextChoices):
    """What to do with a row whose company or person already exists (step 4)."""

    SKIP = "skip", _("Skip them: leave the existing records as they are")
    FILL = "fill", _("Fill in their empty fields only")
    OVERWRITE = "overwrite", _("Overwrite their fields with the file's values")


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
    # Step 3: each distinct value of the source column -> {"source": id} or {"source": None} ("no source").
    source_choices = models.JSONField(default=dict)
    # Step 4.
    duplicates = models.CharField(max_length=10, choices=DuplicateMode.choices, default=DuplicateMode.SKIP)
    update_existing_source = models.BooleanField(default=False)
    # Step 6: the last run.
    job = models.ForeignKey("jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    run_by = models.ForeignKey(
        # "users.User": `settings` is a field's name in this class body.
        "users.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the run did: {"created": {"company": n, ...}, "updated": {...}, "skipped": n, "errors": n, "rows": n}.
    results = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        # "users.User": `settings` is a field's name in this class body.
        "users.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The last undo's background job, and what it did: {"deleted": n, "restored": n, "kept": n}.
    undo_job = models.ForeignKey("jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    undo_results = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["account", "created_at"], name="import_account_created_idx")]

    def __str__(self) -> str:
        return self.file_name


class ChangeAction(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")


class ImportChange(TenantModel):
    """One record an import created or changed, with the changed fields' previous values: what an undo needs."""

    import_run = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="changes")
    record_type = models.CharField(max_length=10)  # "company", "person", "deal"
    record_id = models.BigIntegerField()
    action = models.CharField(max_length=8, choices=ChangeAction.choices)
    previous = models.JSONField(default=dict)  # field -> its value before the import (updated records)

    class Meta:
        indexes = [models.Index(fields=["account", "import_run", "record_type"], name="importchange_import_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.record_type} #{self.record_id}"
