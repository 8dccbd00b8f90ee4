"""How a touch becomes a source: the account's rules in order, then the catalogue (names and aliases) for
utm_source; pure functions over what was read once, so a lead, the "test a link" page and a preview over every past
touch decide the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import tldextract
from django.utils.translation import gettext as _

from headwater.capture.models import CLICK_IDS, UTM_FIELDS, ClickIdCondition, MappingRule, Resolution, UnmatchedKind
from headwater.core.text import fold
from headwater.sources.models import Source
from headwater.sources.selectors import MatchKind, SourceMatch

# The suffix list bundled with tldextract, never fetched: capture must not call the network, and an unknown new
# suffix only makes "shop.example.newtld" count as "example.newtld" late.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registered_domain(url_or_host: str) -> str:
    """ "https://l.facebook.com/x" -> "facebook.com"; "" when there is no public domain (localhost, an IP)."""
    text = url_or_host.strip().lower()
    if not text:
        return ""
    return _EXTRACT(text).top_domain_under_public_suffix


def _domain_label(domain: str) -> str:
    return _EXTRACT(domain).domain if domain else ""


def split_values(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@dataclass(frozen=True)
class Facts:
    """What a touch brought, as matching reads it."""

    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    referrer: str = ""
    landing_url: str = ""
    click_ids: frozenset[str] = frozenset()
    # Given instead of derived from `referrer` and `landing_url` when facts are read grouped from the touches
    # (the stored referrer domain is this same derivation, made when the touch was saved).
    known_domain: str | None = None
    known_path: str | None = None

    @classmethod
    def of(cls, touch: Any) -> Facts:
        return cls(
            utm_source=touch.utm_source,
            utm_medium=touch.utm_medium,
            utm_campaign=touch.utm_campaign,
            referrer=touch.referrer,
            landing_url=touch.landing_url,
            click_ids=frozenset(name for name in CLICK_IDS if getattr(touch, name)),
        )

    @property
    def referrer_domain(self) -> str:
        """The referring site's domain; "" for none, or for the landing site itself (a visitor's second page)."""
        if self.known_domain is not None:
            return self.known_domain
        domain = registered_domain(urlsplit(self.referrer).hostname or "") if self.referrer else ""
        landing = registered_domain(urlsplit(self.landing_url).hostname or "") if self.landing_url else ""
        return "" if domain == landing else domain

    @property
    def landing_path(self) -> str:
        if self.known_path is not None:
            return self.known_path
        return urlsplit(self.landing_url).path or "/" if self.landing_url else ""


@dataclass(frozen=True)
class Outcome:
    source: Source | None
    resolution: Resolution
    explanation: str
    rule: MappingRule | None = None
    unmatched_kind: str = ""
    unmatched_value: str = ""
    # Per rule tried (in order), why it did or did not fire: the "test a link" page shows them.
    trace: list[tuple[MappingRule, list[str], bool]] = field(default_factory=list)


def _text_condition(name: str, wanted: str, value: str) -> tuple[bool, str]:
    options = {fold(v) for v in split_values(wanted)}
    ok = fold(value) in options
    if ok:
        return True, _("%(name)s is “%(value)s”") % {"name": name, "value": value}
    return False, _("%(name)s is “%(value)s”, not one of: %(wanted)s") % {
        "name": name,
        "value": value,
        "wanted": wanted,
    }


def _domain_matches(wanted: str, domain: str) -> bool:
    if not domain:
        return False
    for option in split_values(wanted.lower()):
        if option.endswith(".*"):
            if _domain_label(domain) == option[:-2]:
                return True
        elif registered_domain(option) == domain or option == domain:
            return True
    return False


def rule_check(rule: MappingRule, facts: Facts) -> tuple[bool, list[str]]:
    """Whether every filled condition of `rule` holds, and a reason per condition."""
    reasons: list[str] = []
    ok = True
    for name in ("utm_source", "utm_medium", "utm_campaign"):
        wanted = getattr(rule, name)
        if wanted:
            held, why = _text_condition(name, wanted, getattr(facts, name))
            ok &= held
            reasons.append(why)
    if rule.referrer_domains:
        domain = facts.referrer_domain
        held = _domain_matches(rule.referrer_domains, domain)
        ok &= held
        reasons.append(
            (
                _("the referrer domain “%(domain)s” is listed")
                if held
                else _("the referrer domain “%(domain)s” is not listed")
            )
            % {"domain": domain or "-"}
        )
    if rule.click_id:
        present = facts.click_ids
        if rule.click_id == ClickIdCondition.ANY:
            held = bool(present)
        elif rule.click_id == ClickIdCondition.NONE:
            held = not present
        else:
            held = rule.click_id in present
        ok &= held
        label = str(ClickIdCondition(rule.click_id).label)
        reasons.append(
            (_("click id: %(wanted)s (held)") if held else _("click id: %(wanted)s (did not hold)")) % {"wanted": label}
        )
    if rule.landing_path:
        path = facts.landing_path
        held = bool(path) and path.startswith(rule.landing_path)
        ok &= held
        reasons.append(
            (
                _("the landing path “%(path)s” starts with “%(wanted)s”")
                if held
                else _("the landing path “%(path)s” does not start with “%(wanted)s”")
            )
            % {"path": path or "-", "wanted": rule.landing_path}
        )
    return ok, reasons


def rule_summary(rule: MappingRule) -> str:
    parts = [
        f"{name} = {getattr(rule, name)}"
        for name in ("utm_source", "utm_medium", "utm_campaign")
        if getattr(rule, name)
    ]
    if rule.referrer_domains:
        parts.append(_("referrer: %(domains)s") % {"domains": rule.referrer_domains})
    if rule.click_id:
        parts.append(_("click id: %(wanted)s") % {"wanted": ClickIdCondition(rule.click_id).label})
    if rule.landing_path:
        parts.append(_("landing path: %(path)s…") % {"path": rule.landing_path})
    return "; ".join(parts)


def resolve(
    facts: Facts,
    *,
    rules: Iterable[MappingRule],
    catalogue: Mapping[str, SourceMatch],
    ignored: set[tuple[str, str]],
    sources: Mapping[int, Source],
    trace: bool = False,
) -> Outcome:
    """The first rule that matches; else the catalogue for utm_source (exact, alias, folded: never a guess); else
    the value an admin must map (utm_source, or the referring domain), unless they chose to ignore it."""
    tried: list[tuple[MappingRule, list[str], bool]] = []
    for position, rule in enumerate(rules, start=1):
        ok, reasons = rule_check(rule, facts)
        if trace:
            tried.append((rule, reasons, ok))
        if ok:
            source = sources.get(rule.target_id)
            return Outcome(
                source=source,
                resolution=Resolution.RULE,
                explanation=_("Rule %(number)d: %(reasons)s") % {"number": position, "reasons": "; ".join(reasons)},
                rule=rule,
                trace=tried,
            )
    if facts.utm_source:
        match = catalogue.get(facts.utm_source)
        if match is not None and match.source is not None and match.kind != MatchKind.FUZZY:
            how = _("an alias of") if match.kind == MatchKind.ALIAS else _("the name of")
            return Outcome(
                source=match.source,
                resolution=Resolution.ALIAS,
                explanation=_("utm_source “%(value)s” is %(how)s the source “%(name)s”")
                % {"value": facts.utm_source, "how": how, "name": match.source.name},
                trace=tried,
            )
        kind, value = UnmatchedKind.UTM_SOURCE, fold(facts.utm_source)
    elif facts.referrer_domain:
        kind, value = UnmatchedKind.REFERRER, facts.referrer_domain
    else:
        return Outcome(
            source=None,
            resolution=Resolution.DIRECT,
            explanation=_("No utm_source and no outside referrer: nothing to match."),
            trace=tried,
        )
    if (str(kind), value) in ignored:
        return Outcome(
            source=None,
            resolution=Resolution.IGNORED,
            explanation=_("“%(value)s” is ignored by an admin.") % {"value": value},
            unmatched_kind=kind,
            unmatched_value=value,
            trace=tried,
        )
    return Outcome(
        source=None,
        resolution=Resolution.UNMATCHED,
        explanation=_("No rule matches “%(value)s”: it waits in the unmatched list.") % {"value": value},
        unmatched_kind=kind,
        unmatched_value=value,
        trace=tried,
    )


def facts_from_link(landing_url: str, referrer: str) -> dict[str, str]:
    """The UTM values and click ids a landing URL carries in its query, with the URL and the referrer."""
    query = parse_qs(urlsplit(landing_url).query) if landing_url else {}
    found = {name: (query.get(name) or [""])[0].strip() for name in (*UTM_FIELDS, *CLICK_IDS)}
    return {**found, "landing_url": landing_url, "referrer": referrer}
