"""Reads about acquisition sources."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from headwater.core.compiled import CompiledQuery
from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.core.text import fold, name_key, name_look_key, normalise_spaces
from headwater.sources.models import (
    SOURCE_NAME_MAX_LENGTH,
    Source,
    SourceAlias,
    SourceChange,
    SourceEvent,
    SourceHolder,
    source_holders,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet


@dataclass(frozen=True)
class SourceUsage:
    """A source and how many records of each kind use it, by the kind's key ("companies", see source_holders)."""

    source: Source
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    # The catalogue's pages name each kind in its own translated plural ("3 companies"), so they read the counts by
    # name; a kind they do not name still counts in `total` (what a delete clears) and in the API's `usage`.
    @property
    def companies(self) -> int:
        return self.counts.get("companies", 0)

    @property
    def persons(self) -> int:
        return self.counts.get("persons", 0)

    @property
    def deals(self) -> int:
        return self.counts.get("deals", 0)


def _record_querysets(account: Account) -> dict[str, QuerySet[Any]]:
    """The account's records of each kind that carries a source, by their key in the usage counts."""
    return {key: model.objects.for_account(account) for _type, key, model in source_holders()}


def source_list(*, account: Account, include_archived: bool = True) -> QuerySet[Source]:
    qs = Source.objects.for_account(account).order_by("position", "id")
    if not include_archived:
        qs = qs.filter(archived=False)
    return qs


# Every record list reads the catalogue for its filter bar and bulk form: compiled once (core.compiled).
_CATALOGUE: CompiledQuery[Source] = CompiledQuery(
    lambda account_id: source_list(account=Account(pk=account_id)), account_id=int
)


def source_catalogue(*, account: Account) -> list[Source]:
    """`source_list` with the archived sources, as a list: every source in the admin's order."""
    return _CATALOGUE(account_id=account.pk)


def source_get(*, account: Account, source_id: Any) -> Source:
    """One source of the account; NotFound whether it is another account's or does not exist."""
    if not isinstance(source_id, int) or isinstance(source_id, bool):
        raise NotFound(_("This source does not exist."))
    source = Source.objects.for_account(account).filter(pk=source_id).first()
    if source is None:
        raise NotFound(_("This source does not exist."))
    return source


def source_list_with_usage(*, account: Account) -> list[SourceUsage]:
    """Every source in the admin's order with its usage counts: four queries whatever the number of sources."""
    counts: dict[str, dict[int, int]] = {}
    for kind, qs in _record_querysets(account).items():
        rows = qs.filter(source__isnull=False).values("source").annotate(n=Count("*")).order_by()
        counts[kind] = {row["source"]: row["n"] for row in rows}
    return [
        SourceUsage(source=source, counts={kind: by_source.get(source.pk, 0) for kind, by_source in counts.items()})
        for source in source_list(account=account)
    ]


def source_usage(*, account: Account, source: Source) -> SourceUsage:
    if source.account_id != account.pk:
        raise NotFound(_("This source does not exist."))
    return SourceUsage(
        source=source,
        counts={kind: qs.filter(source=source).count() for kind, qs in _record_querysets(account).items()},
    )


def source_events(*, account: Account, limit: int = 50, offset: int = 0) -> QuerySet[SourceEvent]:
    """The catalogue history, newest first."""
    return (
        SourceEvent.objects.for_account(account)
        .select_related("user")
        .order_by("-at", "-id")[max(offset, 0) : max(offset, 0) + max(limit, 0)]
    )


def source_choices(*, account: Account, current: Source | None = None) -> QuerySet[Source]:
    """What a picker offers: active sources in the admin's order, plus the record's current one if archived."""
    qs = Source.objects.for_account(account)
    if current is not None and current.archived and current.account_id == account.pk:
        return qs.filter(Q(archived=False) | Q(pk=current.pk)).order_by("position", "id")
    return qs.filter(archived=False).order_by("position", "id")


@dataclass(frozen=True)
class SourceDefault:
    """What the default rule gives a new record and why (the form says it: "Source filled in from company X").

    `source` and `contact`: the source filled in and whose it is. When nothing was filled in because a contact's
    source is archived, `archived` is that source and `contact` its owner.
    """

    source: Source | None = None
    contact: SourceHolder | None = None
    archived: Source | None = None


def source_default_explained(
    *, account: Account, company: SourceHolder | None, person: SourceHolder | None
) -> SourceDefault:
    """The seed's automatic transfer: the person's source, else the company's; nothing when the option is off.

    An archived source is not offered for new choices, so it is not carried over either (documented in
    docs/sources.md): the rule falls through to the company, and otherwise the field stays empty, and the first
    archived source met says why.
    """
    if not (account.sources_enabled and account.source_default_from_contact):
        return SourceDefault()
    skipped = SourceDefault()
    for contact in (person, company):
        if contact is not None and contact.account_id == account.pk and contact.source_id:
            source = Source.objects.for_account(account).filter(pk=contact.source_id).first()
            if source is not None and not source.archived:
                return SourceDefault(source=source, contact=contact)
            if source is not None and skipped.archived is None:
                skipped = SourceDefault(contact=contact, archived=source)
    return skipped


def source_default_for(*, account: Account, company: SourceHolder | None, person: SourceHolder | None) -> Source | None:
    """The source the default rule fills in (see source_default_explained)."""
    return source_default_explained(account=account, company=company, person=person).source


def source_history_for_record(*, account: Account, record: Any, limit: int = 100) -> QuerySet[SourceChange]:
    """Who changed a company's, person's or deal's source, when, from what to what and how; newest first."""
    if record.account_id != account.pk:
        raise NotFound(_("Not found."))
    return (
        SourceChange.objects.for_account(account)
        .filter(record_type=record._meta.model_name, record_id=record.pk)
        .select_related("user")
        .order_by("-at", "-id")[: max(limit, 0)]
    )


# --- Aliases and matching values to the catalogue -------------------------------------------------------


def source_alias_list(*, account: Account, source: Source | None = None) -> QuerySet[SourceAlias]:
    """The account's aliases (of one source, when given), alphabetically, each with its source."""
    qs = SourceAlias.objects.for_account(account).select_related("source").order_by("text", "id")
    if source is not None:
        qs = qs.filter(source=source)
    return qs


def source_alias_get(*, account: Account, alias_id: Any) -> SourceAlias:
    """One alias of the account; NotFound whether it is another account's or does not exist."""
    if not isinstance(alias_id, int) or isinstance(alias_id, bool):
        raise NotFound(_("This alias does not exist."))
    alias = SourceAlias.objects.for_account(account).select_related("source").filter(pk=alias_id).first()
    if alias is None:
        raise NotFound(_("This alias does not exist."))
    return alias


def source_aliases_by_source(*, account: Account) -> dict[int, list[SourceAlias]]:
    """Every alias of the account grouped by its source's id (the catalogue page shows them under each source)."""
    grouped: dict[int, list[SourceAlias]] = {}
    for alias in SourceAlias.objects.for_account(account).order_by("text", "id"):
        grouped.setdefault(alias.source_id, []).append(alias)
    return grouped


class MatchKind(StrEnum):
    """How a value was matched to a source, surest first."""

    EXACT = "exact"  # the source's name exactly as stored (spaces normalised)
    ALIAS = "alias"  # a remembered alias, compared as names are (case, accents, spaces, look-alikes ignored)
    FOLDED = "folded"  # the source's name ignoring case, spaces, accents and look-alike characters
    FUZZY = "fuzzy"  # a suggestion only: a similar name or alias (rapidfuzz); the user confirms it
    NONE = "none"


@dataclass(frozen=True)
class SourceMatch:
    value: str  # the raw value as it came (a cell of the source column, an API field)
    count: int  # how many rows carry it
    kind: MatchKind
    source: Source | None = None
    alias: SourceAlias | None = None  # the alias that matched (ALIAS), or the one a FUZZY suggestion is close to
    score: float | None = None  # FUZZY: rapidfuzz's similarity, 0-100


# Fuzzy suggestions. Both sides are compared folded (core.text.fold: case, accents and typographic dashes gone), so
# the score measures spelling only. `WRatio` takes the best of plain, partial and token-based similarity, so
# "Facebok" (a typo, 93), "Linked In" (94), "Google" for "Google Ads" (90) and "Polecenia" for "Polecenie" (a
# Polish plural, 89) are suggested, while unrelated names stay far below ("Reklama"/"Referral" 40,
# "Inne"/"LinkedIn" 68). The threshold sits between the two groups: 85 keeps "Strona WWW" for "Strona internetowa"
# (86) as a suggestion the user may refuse, and a wrong suggestion costs one click while a missed one costs a
# search. Partial matching makes a short value (1-3 characters: "x", "ads") look like every name containing it
# (90), so short values are scored by plain similarity only. A value equally close to two sources gets no
# suggestion: it would be a coin toss.
FUZZY_SCORE_CUTOFF = 85.0
FUZZY_SHORT_VALUE = 4
# A value longer than any key can match no name or alias (names have at most 100 characters); it is not even folded.
MATCH_MAX_LENGTH = SOURCE_NAME_MAX_LENGTH * 3


@dataclass
class _Catalogue:
    """The account's names and aliases indexed by every key a value is looked up by."""

    exact: dict[str, Source]
    by_key: dict[str, Source]
    by_look: dict[str, Source]
    alias_key: dict[str, SourceAlias]
    alias_look: dict[str, SourceAlias]
    # Fuzzy candidates: the folded spelling, and the source (and alias) it stands for; active sources only.
    spellings: list[str]
    owners: list[tuple[Source, SourceAlias | None]]


def _catalogue(account: Account) -> _Catalogue:
    """Two queries (sources, aliases), whatever the number of values to match."""
    sources = list(Source.objects.for_account(account).order_by("position", "id"))
    by_id = {source.pk: source for source in sources}
    aliases = list(SourceAlias.objects.for_account(account).order_by("id"))
    for alias in aliases:
        alias.source = by_id[alias.source_id]  # no query per alias
    spellings: list[str] = []
    owners: list[tuple[Source, SourceAlias | None]] = []
    for source in sources:
        if not source.archived:
            spellings.append(fold(source.name))
            owners.append((source, None))
    for alias in aliases:
        if not alias.source.archived:
            spellings.append(fold(alias.text))
            owners.append((alias.source, alias))
    return _Catalogue(
        exact={source.name: source for source in sources},
        by_key={source.name_key: source for source in sources},
        by_look={source.look_key: source for source in sources},
        alias_key={alias.key: alias for alias in aliases},
        alias_look={alias.look_key: alias for alias in aliases},
        spellings=spellings,
        owners=owners,
    )


def _fuzzy(catalogue: _Catalogue, value: str, spaced: str, count: int) -> SourceMatch:
    folded = fold(spaced)
    scorer = fuzz.ratio if len(folded) < FUZZY_SHORT_VALUE else fuzz.WRatio
    best = process.extract(
        folded, catalogue.spellings, scorer=scorer, score_cutoff=FUZZY_SCORE_CUTOFF, limit=len(catalogue.spellings)
    )
    if not best:
        return SourceMatch(value=value, count=count, kind=MatchKind.NONE)
    _text, score, index = best[0]
    source, alias = catalogue.owners[index]
    tied = {catalogue.owners[i][0].pk for _t, other, i in best if other == score}
    if len(tied) > 1:
        return SourceMatch(value=value, count=count, kind=MatchKind.NONE)
    return SourceMatch(value=value, count=count, kind=MatchKind.FUZZY, source=source, alias=alias, score=score)


def _match_one(catalogue: _Catalogue, value: str, count: int, *, fuzzy: bool) -> SourceMatch:
    spaced = normalise_spaces(value) if len(value) <= MATCH_MAX_LENGTH else ""
    if not spaced:
        return SourceMatch(value=value, count=count, kind=MatchKind.NONE)
    exact = catalogue.exact.get(spaced)
    if exact is not None:
        return SourceMatch(value=value, count=count, kind=MatchKind.EXACT, source=exact)
    key, look = name_key(spaced), name_look_key(spaced)
    alias = catalogue.alias_key.get(key) or catalogue.alias_look.get(look)
    if alias is not None:
        return SourceMatch(value=value, count=count, kind=MatchKind.ALIAS, source=alias.source, alias=alias)
    folded = catalogue.by_key.get(key) or catalogue.by_look.get(look)
    if folded is not None:
        return SourceMatch(value=value, count=count, kind=MatchKind.FOLDED, source=folded)
    if fuzzy and catalogue.spellings:
        return _fuzzy(catalogue, value, spaced, count)
    return SourceMatch(value=value, count=count, kind=MatchKind.NONE)


def source_match_values(*, account: Account, values: Mapping[str, int], fuzzy: bool = True) -> list[SourceMatch]:
    """Match each distinct raw value (with its row count) to the catalogue, in the order given.

    Surest first: the exact name; a remembered alias; the same name ignoring case, spaces, accents and look-alike
    characters; else (with `fuzzy`) a suggestion from similar names and aliases of active sources (see
    FUZZY_SCORE_CUTOFF); else none. The first three are certain (one spelling means one source, as the keys are
    unique across names and aliases) and may find an archived source, which the caller decides about; a suggestion
    never names an archived one. Two queries in all, however many values.
    """
    catalogue = _catalogue(account)
    return [_match_one(catalogue, value, count, fuzzy=fuzzy) for value, count in values.items()]


def source_name_resolver(*, account: Account) -> Callable[[str], Source | None]:
    """`source_by_name` for many names (an API bulk create): the catalogue is read once, on the first name."""
    loaded: list[_Catalogue] = []

    def resolve(name: str) -> Source | None:
        if not loaded:
            loaded.append(_catalogue(account))
        return _match_one(loaded[0], name, 1, fuzzy=False).source

    return resolve


def source_by_name(*, account: Account, name: str) -> Source | None:
    """The source a name stands for, certain matches only (exact, alias, the same name folded); None otherwise."""
    return source_name_resolver(account=account)(name)
