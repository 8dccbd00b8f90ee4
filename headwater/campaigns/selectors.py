"""Reads about campaigns. Every query is scoped to the account; another account's id is "does not exist"."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from headwater.campaigns.models import Campaign, CampaignChange
from headwater.core.compiled import CompiledQuery
from headwater.core.errors import NotFound
from headwater.core.models import Account, models_pointing_at
from headwater.core.text import name_key, normalise_spaces
from headwater.sources.models import Source


def campaign_holders() -> list[Any]:
    """The record kinds that may carry a campaign (every model whose `campaign` points here): they sit above this
    app, which finds them through Django's metadata, as the sources app finds its holders."""
    return [
        model
        for model in models_pointing_at(Campaign, field="campaign")
        # A part of a source (a spend entry: its `source` is required) is no record; deleting the campaign keeps it.
        if _optional_source(model)
    ]


def _optional_source(model: Any) -> bool:
    field: Any = model._meta.get_field("source")  # every model carrying a campaign carries a source
    return bool(field.null)


def campaign_get(*, account: Account, campaign_id: Any) -> Campaign:
    """One campaign of the account (its source joined); NotFound whether it is another account's or missing."""
    if not isinstance(campaign_id, int) or isinstance(campaign_id, bool):
        raise NotFound(_("This campaign does not exist."))
    campaign = Campaign.objects.for_account(account).select_related("source").filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("This campaign does not exist."))
    return campaign


def campaign_list(
    *, account: Account, source: Source | int | None = None, archived: bool | None = None
) -> QuerySet[Campaign]:
    """The account's campaigns by source (in the catalogue's order), then name; optionally one source's."""
    qs = Campaign.objects.for_account(account).select_related("source")
    if source is not None:
        qs = qs.filter(source=source)
    if archived is not None:
        qs = qs.filter(archived=archived)
    return qs.order_by("source__position", "source_id", "name", "id")


# Every record list reads the campaigns for its filter bar and bulk form: compiled once (core.compiled).
_CATALOGUE: CompiledQuery[Campaign] = CompiledQuery(
    lambda account_id: campaign_list(account=Account(pk=account_id)), account_id=int
)
# What those choices show of a campaign (its name, whether it is archived, its source's name), for a caller that has
# the account's sources already: the same rows in the same order, without the source columns, the campaign's dates,
# budget and times. Building 40 campaigns and their 40 sources from every column was 1 ms of every list page
# (docs/performance.md, "Choices without their sources' columns").
CATALOGUE_FIELDS = ("id", "account_id", "source_id", "name", "archived")
_CATALOGUE_NAMES: CompiledQuery[Campaign] = CompiledQuery(
    lambda account_id: campaign_list(account=Account(pk=account_id)).select_related(None).only(*CATALOGUE_FIELDS),
    account_id=int,
)


def campaign_catalogue(*, account: Account, sources: Iterable[Source] | None = None) -> list[Campaign]:
    """`campaign_list` of every campaign, archived ones too, as a list (with their sources).

    `sources`: the account's sources, every one (`sources.selectors.source_catalogue`), when the caller read them
    already: each campaign then gets its source from them, and of its own columns only `CATALOGUE_FIELDS`.
    """
    if sources is None:
        return _CATALOGUE(account_id=account.pk)
    by_id = {source.pk: source for source in sources}
    campaigns = _CATALOGUE_NAMES(account_id=account.pk)
    for campaign in campaigns:
        source = by_id.get(campaign.source_id)
        if source is not None:  # always, given every source; else Django reads it when asked
            campaign.source = source
    return campaigns


# What a tracked visit's utm_campaign writes for a space: "spring_sale_2026", "spring-sale-2026".
_UTM_SEPARATORS = re.compile(r"[-_]")


def campaign_utm_key(value: str) -> str:
    """How a `utm_campaign` value meets a campaign's name: the name's key (core.text.name_key: case, accents, spacing
    and look-alikes, as campaign names are unique), with "-" and "_" read as spaces, as link builders write them."""
    return _separators_as_spaces(name_key(value))


def _separators_as_spaces(key: str) -> str:
    return normalise_spaces(_UTM_SEPARATORS.sub(" ", key))


def campaign_for_utm(*, account: Account, source: Source | int, value: str) -> Campaign | None:
    """The active campaign of `source` a tracked visit's `utm_campaign` names ("spring_sale_2026" names
    "Spring sale 2026"), or None: an archived campaign, another source's or another account's never matches. A
    source has a handful of campaigns: one query reads them, `campaign_named` compares."""
    if not campaign_utm_key(value):
        return None
    source_id = source.pk if isinstance(source, Source) else source
    return campaign_named(active_campaigns_of(account=account, source_ids=[source_id]).get(source_id, []), value)


def active_campaigns_of(*, account: Account, source_ids: Iterable[int]) -> dict[int, list[Campaign]]:
    """The account's active campaigns of these sources, by source id, in one query."""
    by_source: dict[int, list[Campaign]] = {}
    rows = Campaign.objects.for_account(account).filter(source_id__in=set(source_ids), archived=False)
    for campaign in rows.order_by("pk"):
        by_source.setdefault(campaign.source_id, []).append(campaign)
    return by_source


def campaign_named(campaigns: Iterable[Campaign], value: str) -> Campaign | None:
    """The one of `campaigns` (a source's) that `value` names by `campaign_utm_key`, or None.

    The separators are lenient, so two names unique as campaign names can meet ("Spring-sale" and "Spring sale"):
    then the one named without that leniency wins, and with none or both of them so named, no campaign (never a
    guess)."""
    key = campaign_utm_key(value)
    if not key:
        return None
    found = [campaign for campaign in campaigns if _separators_as_spaces(campaign.name_key) == key]
    if len(found) > 1:
        exact = name_key(value)
        found = [campaign for campaign in found if campaign.name_key == exact]
    return found[0] if len(found) == 1 else None


def campaign_choices(*, account: Account, current: Campaign | None = None) -> QuerySet[Campaign]:
    """What a record's picker offers: the account's active campaigns, and the record's current one even archived."""
    qs = campaign_list(account=account)
    if current is not None:
        return qs.filter(archived=False) | qs.filter(pk=current.pk)
    return qs.filter(archived=False)


@dataclass(frozen=True)
class CampaignUsage:
    campaign: Campaign
    counts: dict[str, int]  # by the record kind's app label ("companies")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def campaign_usage(*, account: Account, campaign: Campaign) -> CampaignUsage:
    counts = {
        model._meta.app_label: model.objects.for_account(account).filter(campaign=campaign).count()
        for model in campaign_holders()
    }
    return CampaignUsage(campaign=campaign, counts=counts)


def campaign_usage_counts(*, account: Account, source: Source | None = None) -> dict[int, int]:
    """How many records (of every kind) carry each campaign: one query per kind, whatever the number of campaigns."""
    totals: dict[int, int] = {}
    for model in campaign_holders():
        qs = model.objects.for_account(account).filter(campaign__isnull=False)
        if source is not None:
            qs = qs.filter(campaign__source=source)
        for campaign_id, count in qs.values_list("campaign_id").annotate(n=Count("*")).order_by():
            totals[campaign_id] = totals.get(campaign_id, 0) + count
    return totals


def campaign_history_for_record(*, account: Account, record: Any, limit: int = 100) -> QuerySet[CampaignChange]:
    """Who changed a company's, person's or deal's campaign, when, from what to what and how; newest first."""
    if record.account_id != account.pk:
        raise NotFound(_("Not found."))
    return (
        CampaignChange.objects.for_account(account)
        .filter(record_type=record._meta.model_name, record_id=record.pk)
        .select_related("user")
        .order_by("-at", "-id")[: max(limit, 0)]
    )
