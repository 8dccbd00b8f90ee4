"""Lead forms: what a form asks, where its submissions may come from, and what they open.

No foreign key here is named `source` or `owner`: `sources.models.source_holders` and `users` find the records that
carry a source or an owner by those names, and a form is neither.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel

StrOrPromise = str | Promise

# (key, label, record, attribute, limit): the fields a form may ask, and how long an answer may be (the record's).
FIELD_CATALOGUE: list[tuple[str, StrOrPromise, str, str, int]] = [
    ("first_name", _("First name"), "person", "first_name", 100),
    ("last_name", _("Last name"), "person", "last_name", 100),
    ("email", _("E-mail"), "person", "email", 254),
    ("phone", _("Phone"), "person", "phone", 50),
    ("position", _("Position"), "person", "position", 150),
    ("company", _("Company"), "company", "name", 200),
    ("website", _("Company website"), "company", "website", 300),
    ("deal_name", _("What do you need?"), "deal", "name", 200),
    ("message", _("Message"), "deal", "notes", 5000),
]
FIELD_KEYS = [key for key, *_rest in FIELD_CATALOGUE]


class Asked(models.TextChoices):
    NO = "", _("not asked")
    OPTIONAL = "optional", _("optional")
    REQUIRED = "required", _("required")


def new_public_key() -> str:
    """An unguessable key for the form's public address (192 random bits)."""
    return secrets.token_urlsafe(24)


class LeadForm(TenantModel):
    name = models.CharField(_("name"), max_length=100)
    public_key = models.CharField(max_length=64, unique=True, default=new_public_key, editable=False)
    # {"email": "required", "phone": "optional"}: the catalogue's keys that the form asks, required or not.
    fields = models.JSONField(default=dict, blank=True)
    how_heard = models.BooleanField(_("ask “How did you hear about us?”"), default=False)
    # [{"label": "A friend", "source_id": 5}, ...]: each answer and the source it stands for (or none).
    answers = models.JSONField(default=list, blank=True)
    consent_text = models.TextField(_("consent text"), blank=True)
    thank_you = models.TextField(_("thank-you message"), blank=True)
    redirect_url = models.CharField(_("redirect to"), max_length=2000, blank=True)
    opens_deal = models.BooleanField(_("each submission opens a deal"), default=False)
    deal_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deal owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    deal_value = models.DecimalField(_("deal value"), max_digits=14, decimal_places=2, default=0)
    # ["https://www.example.pl", "http://localhost:8080"]: the sites that may embed the form (CORS origins).
    allowed_origins = models.JSONField(default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lead form")
        verbose_name_plural = _("lead forms")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["account", "name"], name="leadform_account_name_idx")]

    def __str__(self) -> str:
        return self.name

    def asked(self) -> list[tuple[str, str, bool, int]]:
        """(key, label, required, limit) of each field the form asks, in the catalogue's order."""
        return [
            (key, str(label), self.fields.get(key) == Asked.REQUIRED, limit)
            for key, label, _record, _attr, limit in FIELD_CATALOGUE
            if self.fields.get(key) in (Asked.OPTIONAL, Asked.REQUIRED)
        ]


class FormSubmission(TenantModel):
    """Which form a touch came through (the touch itself lives in capture, which knows no forms)."""

    form = models.ForeignKey(LeadForm, on_delete=models.CASCADE, related_name="+", db_index=False)
    touch = models.OneToOneField("capture.Touch", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["account", "form", "at"], name="formsubmission_form_at_idx")]


class IntakeCounter(models.Model):
    """Submissions counted per key ("ip:…", "form:…") and minute, for the rate limit. In the database rather than the
    cache: every gunicorn worker sees the same counts without a shared cache being configured. Not an account's
    row: an address is counted across every account's forms."""

    bucket = models.CharField(max_length=100)
    minute = models.BigIntegerField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "minute"], name="intakecounter_bucket_minute_uniq")]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.minute}: {self.hits}"
