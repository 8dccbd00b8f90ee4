"""Lead capture: touches (the visits that brought a lead), the rules that turn them into sources, and the values no
rule knows yet.

None of the foreign keys to Source is named `source`: `sources.models.source_holders` treats every such model as a
record carrying a source (history, usage counts), and a touch or a rule is not one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.core.models import TenantModel

UTM_MAX_LENGTH = 200
URL_MAX_LENGTH = 2000
CLICK_IDS = ("gclid", "fbclid", "msclkid", "li_fat_id")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


class Resolution(models.TextChoices):
    RULE = "rule", _("a mapping rule")
    ALIAS = "alias", _("the source catalogue (name or alias)")
    CORRECTED = "corrected", _("corrected by an admin")
    UNMATCHED = "unmatched", _("no rule matched")
    IGNORED = "ignored", _("ignored by an admin")
    DIRECT = "direct", _("nothing to match (a direct visit)")


class UnmatchedKind(models.TextChoices):
    UTM_SOURCE = "utm_source", _("utm_source")
    REFERRER = "referrer", _("referrer domain")


class Touch(TenantModel):
    """One visit that brought a lead: what arrived, as it arrived (never edited), and the source it resolved to."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=100)
    utm_source = models.CharField("utm_source", max_length=UTM_MAX_LENGTH, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=UTM_MAX_LENGTH, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=UTM_MAX_LENGTH, blank=True)
    utm_term = models.CharField("utm_term", max_length=UTM_MAX_LENGTH, blank=True)
    utm_content = models.CharField("utm_content", max_length=UTM_MAX_LENGTH, blank=True)
    gclid = models.CharField("gclid", max_length=UTM_MAX_LENGTH, blank=True)
    fbclid = models.CharField("fbclid", max_length=UTM_MAX_LENGTH, blank=True)
    msclkid = models.CharField("msclkid", max_length=UTM_MAX_LENGTH, blank=True)
    li_fat_id = models.CharField("li_fat_id", max_length=UTM_MAX_LENGTH, blank=True)
    referrer = models.CharField(_("referrer"), max_length=URL_MAX_LENGTH, blank=True)
    referrer_domain = models.CharField(_("referrer domain"), max_length=255, blank=True, editable=False)
    landing_url = models.CharField(_("landing page"), max_length=URL_MAX_LENGTH, blank=True)
    consent = models.BooleanField(_("consent given"), default=False)
    # What the lead said ("how did you hear about us"), beside what was tracked.
    self_reported = models.CharField(_("self-reported source"), max_length=UTM_MAX_LENGTH, blank=True)
    reported_source = models.ForeignKey(
        "sources.Source", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # The resolution: derived from the facts above by the account's rules; re-applied only when an admin asks.
    resolved_source = models.ForeignKey(
        "sources.Source", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    resolution = models.CharField(max_length=10, choices=Resolution.choices, default=Resolution.DIRECT)
    rule = models.ForeignKey(
        "capture.MappingRule", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # Why, in words (copied so it survives the rule's edit or deletion).
    explanation = models.CharField(max_length=300, blank=True)
    # The value waiting for an admin (resolution unmatched/ignored): folded utm_source or referrer domain.
    unmatched_kind = models.CharField(max_length=10, choices=UnmatchedKind.choices, blank=True)
    unmatched_value = models.CharField(max_length=UTM_MAX_LENGTH, blank=True)
    person = models.ForeignKey(
        "persons.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    company = models.ForeignKey(
        "companies.Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    deal = models.ForeignKey(
        "deals.Deal", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("touch")
        verbose_name_plural = _("touches")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["account", "person", "at"], name="touch_account_person_idx"),
            models.Index(fields=["account", "unmatched_kind", "unmatched_value"], name="touch_account_unmatched_idx"),
        ]


class RecordTouches(TenantModel):
    """A record's first and last touch. The record kinds sit below this app, so the pointer lives here, keyed by
    the record's type in the source history ("person") and id."""

    record_type = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    first_touch = models.ForeignKey(Touch, on_delete=models.CASCADE, related_name="+")
    last_touch = models.ForeignKey(Touch, on_delete=models.CASCADE, related_name="+")
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "record_type", "record_id"], name="recordtouches_record_uniq")
        ]
        indexes = [models.Index(fields=["account", "first_touch"], name="recordtouches_first_idx")]


class ClickIdCondition(models.TextChoices):
    ANY_VALUE = "", _("does not matter")
    ANY = "any", _("any click id")
    NONE = "none", _("no click id")
    GCLID = "gclid", "gclid"
    FBCLID = "fbclid", "fbclid"
    MSCLKID = "msclkid", "msclkid"
    LI_FAT_ID = "li_fat_id", "li_fat_id"


class MappingRule(TenantModel):
    """If every filled condition holds, the touch comes from `target`. The account's rules are tried in order.

    Text conditions hold a comma-separated list of values, compared ignoring case; a blank condition always holds.
    """

    position = models.PositiveIntegerField(_("position"), default=0)
    utm_source = models.CharField("utm_source", max_length=UTM_MAX_LENGTH, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=UTM_MAX_LENGTH, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=UTM_MAX_LENGTH, blank=True)
    referrer_domains = models.CharField(_("referrer domains"), max_length=1000, blank=True)
    click_id = models.CharField(_("click id"), max_length=10, choices=ClickIdCondition.choices, blank=True)
    landing_path = models.CharField(_("landing path starts with"), max_length=URL_MAX_LENGTH, blank=True)
    target = models.ForeignKey(
        "sources.Source", verbose_name=_("source"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("mapping rule")
        verbose_name_plural = _("mapping rules")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["account", "position"], name="mappingrule_account_pos_idx")]


class IgnoredValue(TenantModel):
    """An unmatched value an admin chose to ignore: its touches stay without a source and leave the list."""

    kind = models.CharField(max_length=10, choices=UnmatchedKind.choices)
    value = models.CharField(max_length=UTM_MAX_LENGTH)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "kind", "value"], name="ignoredvalue_uniq")]


class CaptureEvent(TenantModel):
    """Who changed the rules or mapped a value, and what it changed (append-only)."""

    action = models.CharField(max_length=30)
    details = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "-at"], name="captureevent_account_at_idx")]


class TouchBasis(models.IntegerChoices):
    FIRST = 1, _("first touch")
    LAST = 2, _("last touch")


class TouchTally(TenantModel):
    """Records brought by tracked visits: how many companies (kind 1), persons (2) and deals (3) have a first (or
    last) touch resolved to a source, with the source the lead named, per local month (the kind + 10: per local day).

    Written only by database triggers (`capture/tally_sql.py`), never by Python, like `stats.SourceTally`; the
    Statistics page grouped by touch reads it. Rows whose count fell to zero stay; readers skip them.
    """

    account = models.ForeignKey(
        "core.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    basis = models.SmallIntegerField(choices=TouchBasis.choices)
    kind = models.SmallIntegerField()
    bucket = models.DateField()
    source_key = models.BigIntegerField()  # the touch's resolved source, 0 for none
    reported_key = models.BigIntegerField()  # the source the lead named, 0 for none
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "basis", "kind", "bucket", "source_key", "reported_key"], name="touchtally_key_uniq"
            ),
        ]
