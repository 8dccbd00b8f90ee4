"""Writes of the capture app: a lead with its touch, the mapping rules, the unmatched values, corrections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import phonenumbers
from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from headwater.campaigns.models import Campaign
from headwater.campaigns.selectors import campaign_for_utm
from headwater.capture.matching import Facts, Outcome, facts_from_link, registered_domain, split_values
from headwater.capture.models import (
    CLICK_IDS,
    URL_MAX_LENGTH,
    UTM_FIELDS,
    UTM_MAX_LENGTH,
    CaptureEvent,
    ClickIdCondition,
    IgnoredValue,
    MappingRule,
    RecordTouches,
    Resolution,
    Touch,
    UnmatchedKind,
)
from headwater.capture.selectors import Matcher, capture_matcher, rule_list
from headwater.channels.models import Channel
from headwater.companies.models import Company
from headwater.companies.services import company_create
from headwater.core.errors import NotFound, ValidationFailed
from headwater.core.models import Account
from headwater.core.text import check_text
from headwater.core.types import UNSET, Unset
from headwater.deals.services import deal_create
from headwater.persons.models import Person
from headwater.persons.services import person_create
from headwater.records.models import CrmRecord, RecordOrigin
from headwater.records.services import HeldCampaign, key_share, linked_in_account, lock_campaign_source
from headwater.sources.models import HowChanged, Source, source_holders
from headwater.sources.selectors import source_by_name
from headwater.sources.services import record_set_source, source_alias_create, source_create
from headwater.users.models import User

# pg_advisory_xact_lock's first key for lead intake: "HW" and 3 (stats 1, imports 2).
LEAD_LOCK_CLASS = 0x48570003
# Where a phone number without a country code is dialled: the product's home market.
DEFAULT_PHONE_REGION = "PL"

# The default rules, in order: (source name, conditions). Names are translated into the account's language.
DEFAULT_RULES: list[tuple[str, dict[str, str]]] = [
    (gettext_noop("Paid search"), {"click_id": ClickIdCondition.GCLID}),
    (gettext_noop("Paid search"), {"click_id": ClickIdCondition.MSCLKID}),
    (gettext_noop("E-mail campaign"), {"utm_medium": "email, e-mail, newsletter"}),
    (
        gettext_noop("Social media"),
        {"referrer_domains": "facebook.com, l.facebook.com, lm.facebook.com, instagram.com, linkedin.com, x.com, t.co"},
    ),
    (
        gettext_noop("Organic search"),
        {
            "referrer_domains": "google.*, bing.com, duckduckgo.com, yahoo.com, yandex.*, ecosia.org, brave.com",
            "click_id": ClickIdCondition.NONE,
        },
    ),
]
RULE_TEXT_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "referrer_domains", "landing_path")


def _event(*, account: Account, user: User | None, action: str, **details: Any) -> None:
    CaptureEvent.unscoped.create(account=account, user=user, action=action, details=details)


def _holders() -> dict[str, Any]:
    return {record_type: model for record_type, _key, model in source_holders()}


# --- Touch facts -----------------------------------------------------------------------------------------


def _clean(raw: Any, field: str, limit: int) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationFailed.on(field, _("Enter text."))
    value = raw.strip()
    check_text(field, value)
    if len(value) > limit:
        raise ValidationFailed.on(
            field, _("At most %(limit)d characters; you sent %(count)d.") % {"limit": limit, "count": len(value)}
        )
    return value


def _clean_url(raw: Any, field: str) -> str:
    value = _clean(raw, field, URL_MAX_LENGTH)
    if value and not value.lower().startswith(("http://", "https://")):
        raise ValidationFailed.on(field, _("Enter a web address starting with http:// or https://."))
    return value


def touch_facts_clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """The touch fields as they will be stored; UTM values and click ids missing from the body are read from the
    landing URL's query (a landing-page builder often sends only the URL)."""
    landing_url = _clean_url(data.get("landing_url"), "landing_url")
    referrer = _clean_url(data.get("referrer"), "referrer")
    from_link = facts_from_link(landing_url, referrer)
    facts: dict[str, Any] = {"landing_url": landing_url, "referrer": referrer}
    for name in (*UTM_FIELDS, *CLICK_IDS):
        facts[name] = _clean(data.get(name), name, UTM_MAX_LENGTH) or from_link[name][:UTM_MAX_LENGTH]
    consent = data.get("consent", False)
    if not isinstance(consent, bool):
        raise ValidationFailed.on("consent", _("Send true or false."))
    facts["consent"] = consent
    return facts


def _facts(touch: Touch) -> Facts:
    return Facts.of(touch)


def _apply_outcome(touch: Touch, outcome: Outcome) -> None:
    touch.resolved_source = outcome.source
    touch.resolution = outcome.resolution
    touch.rule = outcome.rule
    touch.explanation = outcome.explanation[:300]
    touch.unmatched_kind = outcome.unmatched_kind
    touch.unmatched_value = outcome.unmatched_value[:UTM_MAX_LENGTH]


# --- Leads -----------------------------------------------------------------------------------------------


def _lock_leads(account: Account) -> None:
    """One lead at a time per account: the same e-mail sent twice at once must find the person the first made."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, (%s %% 2147483647)::int)", [LEAD_LOCK_CLASS, account.pk])
    # SQLite's IMMEDIATE transactions (settings) already serialise writers from BEGIN.


def phone_key(phone: str) -> str:
    """A phone number as E.164 ("+48600100200"), or "" when it is not a number phonenumbers can read."""
    if not phone:
        return ""
    try:
        parsed = phonenumbers.parse(phone, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def returning_person(*, account: Account, email: str, phone: str) -> Person | None:
    """The person a lead already is: the same e-mail (ignoring case), else the same phone number however written."""
    persons = Person.objects.for_account(account)
    if email:
        found = persons.filter(email__iexact=email).order_by("pk").first()
        if found is not None:
            return found
    key = phone_key(phone)
    if key:
        # Stored numbers are free text ("600 100 200", "+48 600-100-200"): narrow by the last two digits, which every
        # spelling ends with, then compare the numbers themselves.
        for candidate in persons.filter(phone__endswith=key[-2:]).exclude(phone="").order_by("pk"):
            if phone_key(candidate.phone) == key:
                return candidate
    return None


def _point(*, account: Account, record: CrmRecord, touch: Touch) -> None:
    """The record's last touch is `touch`; its first too when it has none (a first touch is never replaced)."""
    record_type = str(record._meta.model_name)
    row = (
        RecordTouches.objects.for_account(account)
        .select_for_update()
        .filter(record_type=record_type, record_id=record.pk)
        .first()
    )
    if row is None:
        RecordTouches.unscoped.create(
            account=account, record_type=record_type, record_id=record.pk, first_touch=touch, last_touch=touch
        )
        return
    row.last_touch = touch
    row.save(update_fields=["last_touch"])


@dataclass(frozen=True)
class LeadResult:
    person: Person
    person_created: bool
    company: Company | None
    deal: Any
    touch: Touch
    campaign: Campaign | None = None  # the campaign the new records took from the visit's utm_campaign


def _tracked_source(account: Account, outcome: Outcome) -> Source | None:
    source = outcome.source
    if source is None or not account.sources_enabled or source.archived:
        return None
    return source


def _visit_campaign(*, account: Account, source: Source | None, utm_campaign: str) -> Campaign | None:
    """The campaign of `source` the visit's `utm_campaign` names (campaigns.selectors.campaign_for_utm), or None.

    Locked as a campaign picked by hand is (its source first, the order merges take), but FOR SHARE: an archive
    (FOR NO KEY UPDATE) then waits for the lead, whose records each check the campaign is active. Read again once
    locked: one archived, deleted or moved by a merge since it was matched leaves the lead without a campaign
    instead of refusing it."""
    if source is None or not utm_campaign:
        return None
    match = campaign_for_utm(account=account, source=source, value=utm_campaign)
    if match is None:
        return None
    lock_campaign_source(account=account, campaign_id=match.pk)
    key_share(Campaign, account=account, pk=match.pk, fields_too=True)
    return Campaign.objects.for_account(account).filter(pk=match.pk, source_id=source.pk, archived=False).first()


@transaction.atomic
def lead_capture(
    *,
    account: Account,
    user: User | None,
    channel: str,
    person: Mapping[str, Any],
    touch: Mapping[str, Any],
    company: Mapping[str, Any] | None = None,
    deal: Mapping[str, Any] | None = None,
    source: Source | int | Unset | None = UNSET,
    self_reported: str = "",
    origin: RecordOrigin = RecordOrigin.API,
    reported_source: Source | Unset | None = UNSET,
) -> LeadResult:
    """A lead with the visit that brought it: a new person (or the returning one), optionally a company and a new
    deal, and one touch on each. A new record's source is the body's choice, else the tracked one, else the
    account's default rule; a returning person's source is left as it is. A new record whose source is the one the
    visit resolved to takes the campaign of that source its `utm_campaign` names (history: set from the tracked
    visit); a record that exists already keeps its campaign.

    `reported_source`: the source the self-reported answer stands for when the caller knows it (a lead form maps
    each answer to a source); left unset, the answer is matched by name like an import's source value."""
    channel = _clean(channel, "channel", 100)
    facts = touch_facts_clean(touch)
    self_reported = _clean(self_reported, "self_reported", UTM_MAX_LENGTH)
    _lock_leads(account)
    matcher = capture_matcher(account=account, utm_sources=[facts["utm_source"]])
    draft = Touch(account=account, channel=channel, **facts)
    outcome = matcher.outcome(_facts(draft))
    tracked = _tracked_source(account, outcome)
    chosen = source is not UNSET
    record_source: Any = source if chosen else (tracked if tracked is not None else UNSET)
    how = HowChanged.API if chosen else (HowChanged.CAPTURE if tracked is not None else HowChanged.API)
    # The visit names a campaign of the source it resolved to: only records of that source can carry it (a source
    # chosen in the body that differs is another attribution, and the default rule's is not the visit's).
    chosen_id = source.pk if isinstance(source, Source) else source
    takes_campaign = tracked is not None and (not chosen or chosen_id == tracked.pk)
    campaign = (
        _visit_campaign(account=account, source=tracked, utm_campaign=facts["utm_campaign"]) if takes_campaign else None
    )
    # Locked and read by _visit_campaign in this transaction: the new records take it as it is.
    held = HeldCampaign(campaign) if campaign is not None else None

    fields = dict(person)
    email = _clean(fields.get("email"), "email", 254)
    phone = _clean(fields.get("phone"), "phone", 50)
    found = returning_person(account=account, email=email, phone=phone)
    linked_company: Company | None = None
    company_created = False
    if company:
        linked_company, company_created = _lead_company(
            account=account, user=user, data=company, source=record_source, how=how, origin=origin, campaign=held
        )
    if found is None:
        found = person_create(
            account=account,
            user=user,
            **{**fields, "email": email, "phone": phone},
            company=linked_company,
            source=record_source,
            source_how=how,
            campaign=held,
            campaign_how=HowChanged.CAPTURE,
            origin=origin,
        )
        created = True
    else:
        created = False
        if linked_company is None and found.company_id is not None:
            linked_company = Company.objects.for_account(account).filter(pk=found.company_id).first()
    opened = None
    if deal is not None:
        data = dict(deal)
        opened = deal_create(
            account=account,
            user=user,
            name=data.pop("name", None) or _("Lead: %(name)s") % {"name": found.full_name},
            value=data.pop("value", None) or Decimal("0"),
            currency=data.pop("currency", None),
            notes=data.pop("notes", None) or "",
            owner=data.pop("owner", None),
            person=found,
            company=linked_company,
            source=record_source,
            source_how=how,
            campaign=held,
            campaign_how=HowChanged.CAPTURE,
            origin=origin,
        )
    draft.self_reported = self_reported
    if reported_source is UNSET:
        draft.reported_source = source_by_name(account=account, name=self_reported) if self_reported else None
    else:
        draft.reported_source = reported_source
    _apply_outcome(draft, outcome)
    draft.person = found
    draft.company = linked_company
    draft.deal = opened
    draft.referrer_domain = _facts(draft).referrer_domain
    draft.save(force_insert=True)
    for record in (found, linked_company, opened):
        if record is not None:
            _point(account=account, record=record, touch=draft)
    took = created or company_created or opened is not None
    return LeadResult(
        person=found,
        person_created=created,
        company=linked_company,
        deal=opened,
        touch=draft,
        campaign=campaign if took else None,
    )


def _lead_company(
    *,
    account: Account,
    user: User | None,
    data: Mapping[str, Any],
    source: Any,
    how: HowChanged,
    origin: RecordOrigin = RecordOrigin.API,
    campaign: HeldCampaign | None = None,
) -> tuple[Company, bool]:
    """The lead's company and whether it is new: one of the same name (ignoring case) is reused as it is."""
    name = _clean(data.get("name"), "company.name", 200)
    if not name:
        raise ValidationFailed.on("company.name", _("Enter the company's name."))
    existing = Company.objects.for_account(account).filter(name__iexact=name).order_by("pk").first()
    if existing is not None:
        return existing, False
    extra = {key: value for key, value in data.items() if key != "name"}
    created = company_create(
        account=account,
        user=user,
        name=name,
        **extra,
        source=source,
        source_how=how,
        campaign=campaign,
        campaign_how=HowChanged.CAPTURE,
        origin=origin,
    )
    return created, True


# --- Re-applying the rules to past touches --------------------------------------------------------------


@dataclass(frozen=True)
class Reapplied:
    touches: int  # touches whose source changes
    records: int  # records whose source changes with them (done, or would be)


def _touches_changing(*, account: Account, matcher: Matcher, touches: Any) -> list[tuple[Touch, Outcome]]:
    changing = []
    for item in touches.exclude(resolution=Resolution.CORRECTED).iterator(chunk_size=2000):
        outcome = matcher.outcome(_facts(item))
        new_id = outcome.source.pk if outcome.source is not None else None
        if (new_id, str(outcome.resolution), outcome.unmatched_value) != (
            item.resolved_source_id,
            item.resolution,
            item.unmatched_value,
        ):
            changing.append((item, outcome))
    return changing


def _records_following(
    *, account: Account, user: User | None, changed: list[tuple[Touch, int | None]], write: bool
) -> int:
    """Records whose first touch is one of `changed` (touch, its old source id) and whose source still is what that
    touch gave (or none): they take the touch's new source, with a history row each. A source someone chose by hand
    stays."""
    if not changed or not account.sources_enabled:
        return 0
    by_touch = {touch.pk: (touch, old) for touch, old in changed}
    holders = _holders()
    count = 0
    rows = RecordTouches.objects.for_account(account).filter(first_touch_id__in=list(by_touch)).order_by("pk")
    for row in rows:
        model = holders.get(row.record_type)
        if model is None:
            continue
        touch, old_id = by_touch[row.first_touch_id]
        new = touch.resolved_source
        records = model.objects.for_account(account)
        # Only a real application locks the record; a preview (a page view) only reads.
        record = (records.select_for_update() if write else records).filter(pk=row.record_id).first()
        if record is None or record.source_id not in (old_id, None) or record.source_id == (new.pk if new else None):
            continue
        if new is not None and new.archived:
            continue
        count += 1
        if write and record_set_source(account=account, record=record, source=new, how=HowChanged.CAPTURE, user=user):
            record.version += 1
            record.updated_at = timezone.now()
            record.save(update_fields=["source", "version", "updated_at"])
    return count


def _reapply(
    *, account: Account, user: User | None, touches: Any, rules: list[MappingRule] | None = None, write: bool
) -> Reapplied:
    values = touches.exclude(utm_source="").values_list("utm_source", flat=True).distinct()
    matcher = capture_matcher(account=account, utm_sources=list(values), rules=rules)
    changing = _touches_changing(account=account, matcher=matcher, touches=touches)
    changed_source = []
    for item, outcome in changing:
        old_id = item.resolved_source_id
        _apply_outcome(item, outcome)
        if old_id != item.resolved_source_id:
            changed_source.append((item, old_id))
    if write and changing:
        Touch.unscoped.bulk_update(
            [item for item, _o in changing],
            ["resolved_source", "resolution", "rule", "explanation", "unmatched_kind", "unmatched_value"],
            batch_size=1000,
        )
    records = _records_following(account=account, user=user, changed=changed_source, write=write)
    return Reapplied(touches=len(changed_source), records=records)


def capture_preview(*, account: Account, rules: list[MappingRule]) -> Reapplied:
    """How many past touches (and records) would change source if `rules` were the account's rules; changes
    nothing."""
    return _reapply(account=account, user=None, touches=Touch.objects.for_account(account), rules=rules, write=False)


def capture_pending(*, account: Account) -> Reapplied:
    """What `capture_reapply` would change now, counted from one grouped query: the touches are read as their
    distinct facts (what the rules look at) with their stored resolution and a count, and each group is resolved
    once. Only when some would change source are those touches read, to count the records following them."""
    rules = list(rule_list(account=account))
    # The landing path matters only to a rule that asks for one; otherwise grouping by it would only split groups.
    by_path = any(rule.landing_path for rule in rules)
    presence = {f"has_{name}": ExpressionWrapper(~Q(**{name: ""}), output_field=BooleanField()) for name in CLICK_IDS}
    keys = ["utm_source", "utm_medium", "utm_campaign", "referrer_domain", *(["landing_url"] if by_path else [])]
    stored = ["resolved_source_id", "resolution", "unmatched_value"]
    groups = list(
        Touch.objects.for_account(account)
        .exclude(resolution=Resolution.CORRECTED)
        .annotate(**presence)
        .values(*keys, *presence, *stored)
        .annotate(n=Count("*"))
        .order_by()
    )
    matcher = capture_matcher(account=account, utm_sources={g["utm_source"] for g in groups}, rules=rules)
    touches = 0
    moving: list[tuple[Q, Outcome]] = []
    for group in groups:
        facts = Facts(
            utm_source=group["utm_source"],
            utm_medium=group["utm_medium"],
            utm_campaign=group["utm_campaign"],
            landing_url=group.get("landing_url", ""),
            click_ids=frozenset(name for name in CLICK_IDS if group[f"has_{name}"]),
            known_domain=group["referrer_domain"],
            known_path=None if by_path else "",
        )
        outcome = matcher.outcome(facts)
        new_id = outcome.source.pk if outcome.source is not None else None
        if new_id == group["resolved_source_id"]:
            continue
        touches += group["n"]
        where = Q(**{key: group[key] for key in (*keys, *stored)}) & Q(
            **{name: "" for name in CLICK_IDS if not group[f"has_{name}"]}
        )
        for name in CLICK_IDS:
            if group[f"has_{name}"]:
                where &= ~Q(**{name: ""})
        moving.append((where, outcome))
    if not moving:
        return Reapplied(touches=0, records=0)
    changed: list[tuple[Touch, int | None]] = []
    base = Touch.objects.for_account(account).exclude(resolution=Resolution.CORRECTED)
    for where, outcome in moving:
        for item in base.filter(where):
            old_id = item.resolved_source_id
            _apply_outcome(item, outcome)
            changed.append((item, old_id))
    records = _records_following(account=account, user=None, changed=changed, write=False)
    return Reapplied(touches=touches, records=records)


@transaction.atomic
def capture_reapply(*, account: Account, user: User | None) -> Reapplied:
    """Apply the current rules to every past touch (an admin's correction is kept), and to the records that
    follow their first touch; every record changed gets a history row naming the admin."""
    _lock_leads(account)
    done = _reapply(account=account, user=user, touches=Touch.objects.for_account(account), write=True)
    _event(account=account, user=user, action="reapplied", touches=done.touches, records=done.records)
    return done


# --- Rules -----------------------------------------------------------------------------------------------


def _rule_fields(account: Account, data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name in RULE_TEXT_FIELDS:
        limit = getattr(MappingRule._meta.get_field(name), "max_length", None) or UTM_MAX_LENGTH
        cleaned[name] = _clean(data.get(name), name, limit)
    for domain in split_values(cleaned["referrer_domains"]):
        plain = domain.lower()
        if not (plain.endswith(".*") and plain[:-2].replace("-", "").isalnum()) and not registered_domain(plain):
            raise ValidationFailed.on(
                "referrer_domains",
                _("“%(domain)s” is not a domain (e.g. facebook.com, or google.* for every Google).")
                % {"domain": domain},
            )
    if cleaned["landing_path"] and not cleaned["landing_path"].startswith("/"):
        raise ValidationFailed.on("landing_path", _("A path starts with / (e.g. /pricing)."))
    click_id = data.get("click_id") or ""
    if click_id not in ClickIdCondition.values:
        raise ValidationFailed.on("click_id", _("Choose one of the listed click id conditions."))
    cleaned["click_id"] = click_id
    if not any(cleaned.values()):
        raise ValidationFailed(
            _("Give the rule at least one condition: a rule without one would match every touch."),
            fields={"utm_source": [_("Give the rule at least one condition.")]},
        )
    cleaned["target"] = linked_in_account(
        Source, account=account, value=data.get("target"), field="target", message=_("Choose a source of this account.")
    )
    if cleaned["target"] is None:
        raise ValidationFailed.on("target", _("Choose the source this rule gives."))
    return cleaned


def mapping_rule_draft(*, account: Account, rule: MappingRule | None, data: Mapping[str, Any]) -> MappingRule:
    """The rule as it would be saved (validated, not saved): the preview compares the rules with it."""
    fields = _rule_fields(account, data)
    draft = MappingRule(account=account, pk=rule.pk if rule else None, position=rule.position if rule else 10**9)
    for name, value in fields.items():
        setattr(draft, name, value)
    return draft


def rules_with(
    *, account: Account, draft: MappingRule | None = None, without: MappingRule | None = None
) -> list[MappingRule]:
    """The account's rules with `draft` in its place (or at the end), or `without` one of them."""
    rules = [rule for rule in rule_list(account=account) if without is None or rule.pk != without.pk]
    if draft is None:
        return rules
    if draft.pk is None:
        return [*rules, draft]
    return [draft if rule.pk == draft.pk else rule for rule in rules]


def _rule_details(rule: MappingRule) -> dict[str, Any]:
    return {
        "rule_id": rule.pk,
        "target": rule.target.name,
        **{name: getattr(rule, name) for name in (*RULE_TEXT_FIELDS, "click_id") if getattr(rule, name)},
    }


@transaction.atomic
def mapping_rule_save(
    *, account: Account, user: User | None, rule: MappingRule | None, data: Mapping[str, Any], apply_past: bool = False
) -> tuple[MappingRule, Reapplied | None]:
    """Add a rule (at the end) or change one; with `apply_past`, re-apply the rules to past touches."""
    if rule is not None:
        rule = _locked_rule(account=account, rule=rule)
    draft = mapping_rule_draft(account=account, rule=rule, data=data)
    if rule is None:
        last = MappingRule.objects.for_account(account).aggregate(last=Max("position"))["last"] or 0
        draft.position = last + 1
        draft.pk = None
        draft.save(force_insert=True)
        _event(account=account, user=user, action="rule_added", **_rule_details(draft))
    else:
        draft.created_at = rule.created_at
        draft.save(force_update=True)
        _event(account=account, user=user, action="rule_changed", **_rule_details(draft))
    done = capture_reapply(account=account, user=user) if apply_past else None
    return draft, done


def _locked_rule(*, account: Account, rule: MappingRule) -> MappingRule:
    locked = MappingRule.objects.for_account(account).select_for_update().filter(pk=rule.pk).first()
    if locked is None:
        raise NotFound(_("This rule does not exist (it may have been deleted in the meantime)."))
    return locked


@transaction.atomic
def mapping_rule_delete(
    *, account: Account, user: User | None, rule: MappingRule, apply_past: bool = False
) -> Reapplied | None:
    locked = _locked_rule(account=account, rule=rule)
    details = _rule_details(locked)
    locked.delete()
    _event(account=account, user=user, action="rule_deleted", **details)
    return capture_reapply(account=account, user=user) if apply_past else None


@transaction.atomic
def mapping_rule_move(
    *, account: Account, user: User | None, rule: MappingRule, direction: Literal["up", "down"]
) -> None:
    """Swap the rule with its neighbour; the positions are renumbered 1..n so they never tie."""
    if direction not in ("up", "down"):
        raise ValidationFailed.on("direction", _("Move a rule up or down."))
    rules = list(MappingRule.objects.for_account(account).select_for_update().order_by("position", "id"))
    index = next((i for i, item in enumerate(rules) if item.pk == rule.pk), None)
    if index is None:
        raise NotFound(_("This rule does not exist (it may have been deleted in the meantime)."))
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rules):
        return
    rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules, start=1):
        item.position = position
    MappingRule.unscoped.bulk_update(rules, ["position"])
    _event(account=account, user=user, action="rule_moved", rule_id=rule.pk, direction=direction, position=other + 1)


# The shipped channel (channels.models.DEFAULT_CHANNELS key) of a default rule's source when it is created here.
DEFAULT_RULE_CHANNELS = {"Paid search": "paid_search", "Organic search": "organic_search"}


def _rule_signature(rule: MappingRule) -> tuple[Any, ...]:
    return (rule.target_id, *(getattr(rule, name).lower() for name in RULE_TEXT_FIELDS), rule.click_id)


@transaction.atomic
def capture_rules_seed_defaults(*, account: Account, user: User | None) -> list[MappingRule]:
    """The default rules the account lacks, after any it has; their sources are found by name (or alias) or
    created, named in the account's language. Idempotent: a rule with the same conditions and source is not added
    twice (pressing the button again, or a new account seeded at creation, adds nothing)."""
    with translation.override(account.language):
        wanted = [(english, _(english), conditions) for english, conditions in DEFAULT_RULES]
    existing = {_rule_signature(rule) for rule in MappingRule.objects.for_account(account)}
    channels = dict(Channel.objects.for_account(account).exclude(key="").values_list("key", "pk"))
    last = MappingRule.objects.for_account(account).aggregate(last=Max("position"))["last"] or 0
    made = []
    for english, name, conditions in wanted:
        target = source_by_name(account=account, name=name)
        if target is None:
            target = source_create(account=account, user=user, name=name)
            channel_id = channels.get(DEFAULT_RULE_CHANNELS.get(english, ""))
            if channel_id is not None:
                # Just created in this transaction: its plain channel, as the starter sources get theirs.
                Source.unscoped.filter(pk=target.pk).update(channel_id=channel_id)
        rule = MappingRule(account=account, target=target, **conditions)
        if _rule_signature(rule) in existing:
            continue
        last += 1
        rule.position = last
        rule.save(force_insert=True)
        existing.add(_rule_signature(rule))
        made.append(rule)
    if made:
        _event(account=account, user=user, action="defaults_added", rules=len(made))
    return made


def capture_rules_seed_on_account_created(sender: Any, account: Account, **kwargs: Any) -> None:
    """`users.signals.account_created`: a new account starts with the default rules (after the starter sources,
    whose receiver runs first: the sources app is installed before this one)."""
    capture_rules_seed_defaults(account=account, user=None)


# --- Unmatched values -------------------------------------------------------------------------------------


@transaction.atomic
def unmatched_map(
    *,
    account: Account,
    user: User | None,
    kind: str,
    value: str,
    action: Literal["source", "new", "ignore"],
    source: Source | int | None = None,
    new_name: str = "",
) -> Reapplied:
    """Decide once what an unmatched value means; its waiting touches, and the records whose first touch they are,
    follow (with history). A utm_source value becomes an alias of the source; a referrer domain a new last rule."""
    if kind not in UnmatchedKind.values:
        raise ValidationFailed.on("kind", _("Unknown kind of value."))
    _lock_leads(account)
    waiting = Touch.objects.for_account(account).filter(
        unmatched_kind=kind, unmatched_value=value, resolution__in=[Resolution.UNMATCHED, Resolution.IGNORED]
    )
    example = waiting.order_by("at", "id").first()
    if example is None:
        raise NotFound(_("No touch waits with this value any more (another admin may have mapped it)."))
    if action == "ignore":
        IgnoredValue.unscoped.get_or_create(account=account, kind=kind, value=value, defaults={"user": user})
        done = _reapply(account=account, user=user, touches=waiting, write=True)
        _event(account=account, user=user, action="value_ignored", kind=kind, value=value)
        return done
    target: Source | None
    if action == "new":
        target = source_create(account=account, user=user, name=new_name)
    elif action == "source":
        target = linked_in_account(
            Source, account=account, value=source, field="source", message=_("Choose a source of this account.")
        )
        if target is None:
            raise ValidationFailed.on("source", _("Choose the source this value stands for."))
    else:
        raise ValidationFailed.on("action", _("Choose what the value means."))
    IgnoredValue.objects.for_account(account).filter(kind=kind, value=value).delete()
    if kind == UnmatchedKind.UTM_SOURCE:
        source_alias_create(account=account, user=user, source=target, text=example.utm_source or value)
    else:
        last = MappingRule.objects.for_account(account).aggregate(last=Max("position"))["last"] or 0
        MappingRule.unscoped.create(account=account, position=last + 1, referrer_domains=value, target=target)
    done = _reapply(account=account, user=user, touches=waiting, write=True)
    _event(account=account, user=user, action="value_mapped", kind=kind, value=value, target=target.name)
    return done


# --- Correcting a first touch -----------------------------------------------------------------------------


@transaction.atomic
def first_touch_correct(
    *, account: Account, user: User | None, record: CrmRecord, source: Source | int | None
) -> RecordTouches:
    """An admin says where the record really came from: its first touch takes `source` (kept by every later
    re-application of the rules), and the record too when its source still is the tracked one (or none)."""
    record_type = str(record._meta.model_name)
    row = (
        RecordTouches.objects.for_account(account)
        .select_for_update()
        .filter(record_type=record_type, record_id=record.pk)
        .first()
    )
    if row is None:
        raise NotFound(_("This record has no tracked visit."))
    picked = linked_in_account(
        Source, account=account, value=source, field="source", message=_("Choose a source of this account.")
    )
    touch = Touch.objects.for_account(account).select_for_update().get(pk=row.first_touch_id)
    old_id = touch.resolved_source_id
    touch.resolved_source = picked
    touch.resolution = Resolution.CORRECTED
    touch.rule = None
    touch.explanation = (_("Corrected by %(user)s") % {"user": user.email if user else "-"})[:300]
    touch.unmatched_kind, touch.unmatched_value = "", ""
    touch.save(
        update_fields=["resolved_source", "resolution", "rule", "explanation", "unmatched_kind", "unmatched_value"]
    )
    row.corrected_by, row.corrected_at = user, timezone.now()
    row.save(update_fields=["corrected_by", "corrected_at"])
    model: Any = type(record)
    locked = model.objects.for_account(account).select_for_update().get(pk=record.pk)
    follows = account.sources_enabled and locked.source_id in (old_id, None)
    if follows and record_set_source(account=account, record=locked, source=picked, how=HowChanged.TYPED, user=user):
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=["source", "version", "updated_at"])
    _event(
        account=account,
        user=user,
        action="first_touch_corrected",
        record_type=record_type,
        record_id=record.pk,
        source=picked.name if picked else "",
    )
    return row
