"""Marketing channels: the groups an account's acquisition sources roll up under in the statistics."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from headwater.core.models import TenantModel

CHANNEL_NAME_MAX_LENGTH = 100

# The shipped list, in its order: (key, English name). Names are marked with gettext_noop so makemessages picks them
# up; they are stored translated into the account's language when seeded, then belong to the admin. The key stays,
# so the starter sources find their channel whatever it has been renamed to.
DEFAULT_CHANNELS: list[tuple[str, str]] = [
    ("paid_search", gettext_noop("Paid search")),
    ("paid_social", gettext_noop("Paid social")),
    ("organic_search", gettext_noop("Organic search")),
    ("organic_social", gettext_noop("Organic social")),
    ("email", gettext_noop("E-mail")),
    ("referral", gettext_noop("Referral")),
    ("events", gettext_noop("Events")),
    ("direct", gettext_noop("Direct")),
    ("other", gettext_noop("Other")),
]


class Channel(TenantModel):
    """One marketing channel, e.g. "Paid search"; sources point at it."""

    name = models.CharField(_("name"), max_length=CHANNEL_NAME_MAX_LENGTH)
    # core.text.name_key of the name: names that differ only in case, accents or spacing collide.
    name_key = models.CharField(max_length=CHANNEL_NAME_MAX_LENGTH * 3, editable=False)
    # The shipped channel this one started as (DEFAULT_CHANNELS), empty for the admin's own.
    key = models.CharField(max_length=20, blank=True, editable=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name_key"], name="channel_account_name_key_uniq"),
        ]
        indexes = [models.Index(fields=["account", "position"], name="channel_account_position_idx")]

    def __str__(self) -> str:
        return self.name
