"""Acquisition sources: the account's catalogue and the append-only history of source changes."""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from headwater.channels.models import Channel
from headwater.core.models import TenantModel, models_pointing_at

SOURCE_NAME_MAX_LENGTH = 100


class Source(TenantModel):
    """One place customers come from, e.g. "Website" or "Trade fair"."""

    name = models.CharField(_("name"), max_length=SOURCE_NAME_MAX_LENGTH)
    # The two uniqueness keys (core.text.name_key and name_look_key, computed by the services): names that differ
    # only in case, accents, spacing or look-alike characters collide, whichever of the two keys they share.
    name_key = models.CharField(max_length=SOURCE_NAME_MAX_LENGTH * 3, editable=False)
    look_key = models.CharField(max_length=SOURCE_NAME_MAX_LENGTH * 3, editable=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    archived = models.BooleanField(_("archived"), default=False)
    # The channel the source rolls up under in the statistics; none counts as "No channel" there. Deleting a channel
    # moves its sources first (channels.services.channel_delete): SET_NULL is only the database's last word.
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name_key"], name="source_account_name_key_uniq"),
            models.UniqueConstraint(fields=["account", "look_key"], name="source_account_look_key_uniq"),
        ]
        indexes = [models.Index(fields=["account", "position"], name="source_account_position_idx")]

    def __str__(self) -> str:
        return self.name


class SourceAlias(TenantModel):
    """Another spelling of a source, remembered for matching: "FB" and "facebook" for "Facebook Ads".

    What an import's source column or the API's `source_name` holds is matched against the sources' names and these
    (selectors.source_match_values). The keys are the names' own (core.text.name_key and name_look_key), and one
    spelling means one source: a key is unique among the account's aliases, and the services refuse an alias whose
    key a source's name has (and a source name an alias has), so a value never matches two sources.
    """

    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.CASCADE, related_name="aliases")
    text = models.CharField(_("alias"), max_length=SOURCE_NAME_MAX_LENGTH)
    key = models.CharField(max_length=SOURCE_NAME_MAX_LENGTH * 3, editable=False)
    look_key = models.CharField(max_length=SOURCE_NAME_MAX_LENGTH * 3, editable=False)
    # Who added or changed it, and when: the catalogue history (SourceEvent).
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Optimistic concurrency, as the sources and the records: a change made from a stale read is refused.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("source alias")
        verbose_name_plural = _("source aliases")
        ordering = ["text", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="sourcealias_account_key_uniq"),
            models.UniqueConstraint(fields=["account", "look_key"], name="sourcealias_account_look_key_uniq"),
        ]
        indexes = [models.Index(fields=["account", "source"], name="sourcealias_account_source_idx")]

    def __str__(self) -> str:
        return self.text


class HowChanged(models.TextChoices):
    TYPED = "typed", _("chosen by a user")
    DEFAULT = "default", _("pre-filled from the contact")
    API = "api", _("set through the API")
    MERGE = "merge", _("moved by a merge of sources")
    CLEARED = "cleared", _("cleared when the source was deleted")
    IMPORT = "import", _("imported")
    UNDO = "undo", _("an import undone")
    BULK = "bulk", _("changed in bulk from a list")
    CAPTURE = "capture", _("set from the tracked visit")


class RecordType(models.TextChoices):
    """The history's `record_type` is the record's model name (source_holders), whatever its kind; these choices only
    label the three kinds the migrations know (choices are not validated on save, so a new kind needs no entry)."""

    COMPANY = "company", _("company")
    PERSON = "person", _("person")
    DEAL = "deal", _("deal")


class SourceHolder(Protocol):
    """A record that carries a source (a company, person or deal), as the default rule reads a contact: the record
    kinds sit above this app, which knows them only by this shape."""

    @property
    def pk(self) -> Any: ...

    @property
    def account_id(self) -> int: ...

    @property
    def source_id(self) -> int | None: ...

    @property
    def _meta(self) -> Any: ...


def source_holders() -> list[tuple[str, str, Any]]:
    """The records that carry a source, as (their type in the history, their key in usage counts, their model).

    Every model whose `source` points at Source (companies, persons, deals, in the order the apps are installed),
    from Django's metadata: the record apps sit above this one and are never imported by it. Each record kind is an
    app of its own: its model name is its type in the history, its app label ("companies") its key in the usage
    counts (the API's `usage`, the catalogue history's details).
    """
    return [
        (str(model._meta.model_name), model._meta.app_label, model)
        for model in models_pointing_at(Source, field="source")
        # Not this app's own SourceAlias, nor a part of a source (a campaign, see source_parts): no record.
        if model._meta.app_label != Source._meta.app_label and _optional_source(model)
    ]


def source_parts() -> list[Any]:
    """The models whose rows belong to one source and cannot lose it (the campaigns app's Campaign): a row whose
    `source` is required. A source's delete refuses while it has any, a merge moves them to the source merged into.
    From Django's metadata, as source_holders: those apps sit above this one."""
    return [
        model
        for model in models_pointing_at(Source, field="source")
        if model._meta.app_label != Source._meta.app_label and not _optional_source(model)
    ]


def _optional_source(model: Any) -> bool:
    field: Any = model._meta.get_field("source")  # a ForeignKey, found by models_pointing_at
    return bool(field.null)


class SourceChange(TenantModel):
    """One change of one record's source. Names are copied so history survives renames and deletes."""

    record_type = models.CharField(max_length=10, choices=RecordType.choices)
    record_id = models.BigIntegerField()
    old_source_id = models.BigIntegerField(null=True, blank=True)
    old_name = models.CharField(max_length=SOURCE_NAME_MAX_LENGTH, blank=True)
    new_source_id = models.BigIntegerField(null=True, blank=True)
    new_name = models.CharField(max_length=SOURCE_NAME_MAX_LENGTH, blank=True)
    how = models.CharField(max_length=10, choices=HowChanged.choices)
    # The import that made the change (how = import): the history says "import #N".
    import_ref = models.BigIntegerField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["account", "record_type", "record_id", "-at"], name="sourcechange_record_idx"),
        ]


class CatalogAction(models.TextChoices):
    ADDED = "added", _("added")
    RENAMED = "renamed", _("renamed")
    REORDERED = "reordered", _("reordered")
    ARCHIVED = "archived", _("archived")
    UNARCHIVED = "unarchived", _("restored from the archive")
    MERGED = "merged", _("merged")
    DELETED = "deleted", _("deleted")
    SWITCHED = "switched", _("settings changed")
    ALIAS_ADDED = "alias_added", _("alias added")
    ALIAS_MOVED = "alias_moved", _("alias changed")
    ALIAS_GONE = "alias_gone", _("alias deleted")


class SourceEvent(TenantModel):
    """One change to the catalogue or the source switches (append-only)."""

    action = models.CharField(max_length=12, choices=CatalogAction.choices)
    source_id_ref = models.BigIntegerField(null=True, blank=True)
    source_name = models.CharField(max_length=SOURCE_NAME_MAX_LENGTH, blank=True)
    details = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "-at"], name="sourceevent_account_at_idx")]
