"""Reads of the capture app: rules, touches, the unmatched list, and the matcher's inputs read once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max

from headwater.campaigns.models import Campaign
from headwater.campaigns.selectors import active_campaigns_of, campaign_named
from headwater.capture.matching import Facts, Outcome, facts_from_link, resolve
from headwater.capture.models import CaptureEvent, IgnoredValue, MappingRule, RecordTouches, Resolution, Touch
from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.sources.models import Source
from headwater.sources.selectors import SourceMatch, source_match_values


@dataclass
class Matcher:
    rules: list[MappingRule]
    catalogue: dict[str, SourceMatch]
    ignored: set[tuple[str, str]]
    sources: dict[int, Source]

    def outcome(self, facts: Facts, *, trace: bool = False) -> Outcome:
        return resolve(
            facts, rules=self.rules, catalogue=self.catalogue, ignored=self.ignored, sources=self.sources, trace=trace
        )


def capture_matcher(*, account: Account, utm_sources: Iterable[str], rules: list[MappingRule] | None = None) -> Matcher:
    """Everything matching needs, in four queries however many touches it then decides."""
    values = {value: 1 for value in utm_sources if value}
    matches = source_match_values(account=account, values=values, fuzzy=False) if values else []
    return Matcher(
        rules=list(rule_list(account=account)) if rules is None else rules,
        catalogue={match.value: match for match in matches},
        ignored=set(IgnoredValue.objects.for_account(account).values_list("kind", "value")),
        sources={source.pk: source for source in Source.objects.for_account(account)},
    )


def rule_list(*, account: Account) -> Any:
    return MappingRule.objects.for_account(account).select_related("target").order_by("position", "id")


def rule_get(*, account: Account, rule_id: Any) -> MappingRule:
    rule = MappingRule.objects.for_account(account).select_related("target").filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("Not found.")
    return rule


def link_test(*, account: Account, landing_url: str, referrer: str) -> tuple[dict[str, str], Outcome]:
    """What a visit with this landing URL and referrer would resolve to, with every rule's reasons."""
    found = facts_from_link(landing_url, referrer)
    facts = Facts(
        utm_source=found["utm_source"],
        utm_medium=found["utm_medium"],
        utm_campaign=found["utm_campaign"],
        referrer=referrer,
        landing_url=landing_url,
        click_ids=frozenset(name for name in ("gclid", "fbclid", "msclkid", "li_fat_id") if found[name]),
    )
    matcher = capture_matcher(account=account, utm_sources=[facts.utm_source])
    return found, matcher.outcome(facts, trace=True)


@dataclass(frozen=True)
class UnmatchedValue:
    kind: str
    value: str
    count: int
    last_at: Any
    examples: list[Touch]


def unmatched_list(*, account: Account, examples: int = 3) -> list[UnmatchedValue]:
    """Values no rule knows, the most frequent first, with a few of their touches as examples."""
    groups = (
        Touch.objects.for_account(account)
        .filter(resolution=Resolution.UNMATCHED)
        .values("unmatched_kind", "unmatched_value")
        .annotate(count=Count("*"), last_at=Max("at"))
        .order_by("-count", "unmatched_value")[:200]
    )
    result = []
    for group in groups:
        sample = list(
            Touch.objects.for_account(account)
            .filter(
                resolution=Resolution.UNMATCHED,
                unmatched_kind=group["unmatched_kind"],
                unmatched_value=group["unmatched_value"],
            )
            .order_by("-at", "-id")[:examples]
        )
        result.append(
            UnmatchedValue(
                kind=group["unmatched_kind"],
                value=group["unmatched_value"],
                count=group["count"],
                last_at=group["last_at"],
                examples=sample,
            )
        )
    return result


def record_touches(*, account: Account, record_type: str, record_id: int) -> RecordTouches | None:
    return (
        RecordTouches.objects.for_account(account)
        .select_related("first_touch__resolved_source", "last_touch__resolved_source", "corrected_by")
        .filter(record_type=record_type, record_id=record_id)
        .first()
    )


def touches_of_record(*, account: Account, record_type: str, record_id: int) -> Any:
    """A person's, company's or deal's touches, oldest first."""
    field = {"person": "person_id", "company": "company_id", "deal": "deal_id"}.get(record_type)
    if field is None:
        return Touch.objects.for_account(account).none()
    return (
        Touch.objects.for_account(account)
        .filter(**{field: record_id})
        .select_related("resolved_source", "reported_source")
        .order_by("at", "id")
    )


@dataclass(frozen=True)
class TouchRow:
    touch: Touch
    # The campaign of the touch's source its utm_campaign names today (campaign_for_utm), or None; `campaign_named`
    # says whether there was a name to look for (a utm_campaign and a source).
    campaign: Campaign | None
    campaign_named: bool


def touch_rows(*, account: Account, touches: Iterable[Touch]) -> list[TouchRow]:
    """The touches with the campaign each one's utm_campaign names among its source's active campaigns: the record's
    touches page marks a value that names none, which is why the lead got no campaign. One query for them all."""
    touches = list(touches)
    campaigns = active_campaigns_of(
        account=account,
        source_ids=[touch.resolved_source_id for touch in touches if touch.utm_campaign and touch.resolved_source_id],
    )
    rows = []
    for touch in touches:
        source_id = touch.resolved_source_id if touch.utm_campaign else None
        campaign = campaign_named(campaigns.get(source_id, []), touch.utm_campaign) if source_id else None
        rows.append(TouchRow(touch=touch, campaign=campaign, campaign_named=source_id is not None))
    return rows


def capture_events(*, account: Account, limit: int = 20) -> Any:
    return CaptureEvent.objects.for_account(account).select_related("user")[:limit]
