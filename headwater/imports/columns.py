"""Step 2 of the wizard: which record field each column of the file fills, guessed from the header names.

The fields come from the record kinds' registry: every field of each kind's create form (the form a person fills
in, so its labels are what people call the field), less the links between the records (one row's company, person
and deal are linked by the row) and the form's bookkeeping. The owner and the source are shared by the row's
records. A few names people give these columns that the forms' labels do not cover ("Nazwa firmy", "NIP",
"Opiekun") are listed by the field they mean; a test checks each names a field that exists.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from headwater.core.text import fold
from headwater.records.registry import RecordKind, record_kinds

SHARED = ("owner", "source", "campaign")  # one per row, for each of its records
_SKIPPED = {"version"}


@dataclass(frozen=True)
class Target:
    """A field a column can fill: "company.name"; "owner", "source" and "campaign" for the whole row."""

    key: str
    kind: str  # "company", "person", "deal"; "" for the shared ones
    field: str
    label: str | Promise
    kind_label: str | Promise = ""

    @property
    def display(self) -> str:
        return f"{self.kind_label}: {self.label}" if self.kind_label else str(self.label)


# Fields a column may fill besides the forms' own: a person's whole name in one column.
_EXTRA: dict[str, tuple[str | Promise, ...]] = {
    "person.full_name": (_("First and last name"),),
}

# What people call these columns, by the field they mean (Polish and English); the forms' labels in both
# languages are added to these by `_aliases`.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "company.name": (
        "Nazwa firmy",
        "Firma",
        "Nazwa",
        "Company",
        "Company name",
        "Organizacja",
        "Organization",
        "Organisation",
        "Klient",
        "Kontrahent",
        "Account name",
    ),
    "company.tax_id": ("NIP", "Numer NIP", "NIP firmy", "VAT ID", "VAT number", "Tax number", "Tax ID"),
    "company.regon": ("REGON", "Numer REGON"),
    "company.website": ("Strona www", "Strona internetowa", "Strona", "WWW", "Website", "Web", "URL", "Domain"),
    "company.street": ("Ulica", "Adres", "Street", "Address"),
    "company.postal_code": ("Kod pocztowy", "Kod", "Postal code", "ZIP", "ZIP code", "Postcode"),
    "company.city": ("Miasto", "Miejscowość", "City", "Town"),
    "company.country": ("Kraj", "Country"),
    "company.email": ("E-mail firmy", "Company e-mail", "Company email"),
    "company.phone": ("Telefon firmy", "Company phone"),
    "company.notes": ("Notatki", "Uwagi", "Notes", "Comments"),
    "person.first_name": ("Imię", "First name", "Firstname", "Given name"),
    "person.last_name": ("Nazwisko", "Last name", "Lastname", "Surname", "Family name"),
    "person.full_name": (
        "Imię i nazwisko",
        "Osoba",
        "Osoba kontaktowa",
        "Kontakt",
        "Contact",
        "Contact name",
        "Full name",
        "Person",
    ),
    "person.email": ("E-mail", "Email", "Adres e-mail", "Mail", "E-mail address", "Email address"),
    "person.phone": ("Telefon", "Tel", "Tel.", "Telefon komórkowy", "Komórka", "Phone", "Phone number", "Mobile"),
    "person.position": ("Stanowisko", "Position", "Job title", "Title"),
    "deal.name": ("Szansa", "Nazwa szansy", "Transakcja", "Deal", "Deal name", "Opportunity"),
    "deal.value": ("Wartość", "Kwota", "Wartość szansy", "Value", "Amount", "Deal value"),
    "deal.currency": ("Waluta", "Currency"),
    "deal.status": ("Etap", "Status", "Stage"),
    "deal.expected_close_date": ("Planowana data zamknięcia", "Expected close date", "Close date"),
    "deal.lost_reason": ("Powód przegranej", "Powód utraty", "Lost reason"),
    "owner": (
        "Opiekun",
        "Właściciel",
        "Handlowiec",
        "Owner",
        "Sales rep",
        "Assigned to",
        "Owner e-mail",
        "Opiekun \u2013 e-mail",  # the Polish export header, with its en dash
    ),
    "source": ("Źródło", "Źródło pozyskania", "Kanał", "Source", "Lead source", "Channel"),
    "campaign": ("Kampania", "Kampania marketingowa", "Campaign", "Campaign name", "utm_campaign"),
}


def header_key(text: str) -> str:
    """What header names are compared by: folded (case and accents), letters and digits only: "E-mail" = "email"."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def _is_link(field: forms.Field) -> bool:
    queryset = getattr(field, "queryset", None)
    if queryset is None:
        return False
    try:
        from headwater.records.registry import kind_of  # noqa: PLC0415  # the same module, kept beside its use

        kind_of(queryset.model)
    except LookupError:
        return False
    return True


def _kind_targets(kind: RecordKind) -> list[Target]:
    kind_label: str | Promise = capfirst(kind.model._meta.verbose_name) or kind.noun
    targets: list[Target] = []
    if kind.pages is None:
        return targets
    for name, field in kind.pages.form.base_fields.items():
        if name in _SKIPPED or name in SHARED or _is_link(field) or isinstance(field.widget, forms.HiddenInput):
            continue
        targets.append(Target(f"{kind.noun}.{name}", kind.noun, name, field.label or name, kind_label))
    for key, labels in _EXTRA.items():
        noun, _dot, name = key.partition(".")
        if noun == kind.noun:
            targets.append(Target(key, noun, name, labels[0], kind_label))
    return targets


@functools.cache
def targets() -> tuple[Target, ...]:
    """Every field a column can map to, by kind in the registry's order, then the shared ones."""
    found = [target for kind in record_kinds() for target in _kind_targets(kind)]
    found.append(Target("owner", "", "owner", _("Owner")))
    found.append(Target("source", "", "source", _("Acquisition source")))
    found.append(Target("campaign", "", "campaign", _("Campaign")))
    return tuple(found)


def target_by_key() -> dict[str, Target]:
    return {target.key: target for target in targets()}


@functools.cache
def _aliases() -> dict[str, str]:
    """Header key -> target key. The listed synonyms first; then each field's label in English and Polish, bare when
    only one kind has it ("Position"), or with its kind ("Deal name" is already one; "Company e-mail")."""
    aliases: dict[str, str] = {}
    for key, names in SYNONYMS.items():
        for name in names:
            aliases.setdefault(header_key(name), key)
    labelled: dict[str, set[str]] = {}
    for target in targets():
        for language in ("en", "pl"):
            with translation.override(language):
                label, kind_label = str(target.label), str(target.kind_label)
            keys = {header_key(label), header_key(target.field)}
            if kind_label:
                keys |= {header_key(f"{kind_label} {label}"), header_key(f"{label} {kind_label}")}
            for alias in keys:
                labelled.setdefault(alias, set()).add(target.key)
    for alias, keys in labelled.items():
        if len(keys) == 1:
            aliases.setdefault(alias, next(iter(keys)))
    return aliases


@functools.cache
def _candidates() -> dict[str, frozenset[str]]:
    """Header key -> every target it may mean: its synonym's and each kind's field with that label or name, in
    English and Polish ("E-mail": the company's and the person's; "Notes": every kind's)."""
    found: dict[str, set[str]] = {}
    for key, names in SYNONYMS.items():
        for name in names:
            found.setdefault(header_key(name), set()).add(key)
    models = {kind.noun: kind.model for kind in record_kinds()}
    for target in targets():
        model_field = None
        if target.kind in models:
            try:
                model_field = models[target.kind]._meta.get_field(target.field)
            except FieldDoesNotExist:
                model_field = None
        for language in ("en", "pl"):
            with translation.override(language):
                # The form's label and the model's name for the field: the exports' headers are the latter.
                labels = {str(target.label), str(getattr(model_field, "verbose_name", target.label))}
            for alias in {header_key(label) for label in labels} | {header_key(target.field)}:
                found.setdefault(alias, set()).add(target.key)
    return {alias: frozenset(keys) for alias, keys in found.items()}


def _kind_of_key(key: str) -> str:
    return key.partition(".")[0] if "." in key else ""


def guess_target(header: str) -> str | None:
    """The target a header name means, None for a name we do not know (the column is then ignored)."""
    return _aliases().get(header_key(header))


def guess_mapping(columns: Sequence[str]) -> list[str | None]:
    """A target (or None: ignore) per column; a target two columns mean goes to the first."""
    # The kind the file is about: the one its columns can only mean ("Tax ID", "First name", "Value"). A
    # header several kinds share ("Name", "E-mail", "Notes") then goes to that kind's field: a list's export
    # ("Name, Value, ..., Company, Person, Notes") is read back as that list's records, its "Company" and "Person"
    # as links. With no such kind (a row of a company, a person and a deal alike) the usual guess stands: a lone
    # "E-mail" is the person's.
    candidates = [_candidates().get(header_key(column), frozenset()) for column in columns]
    votes = Counter(_kind_of_key(next(iter(keys))) for keys in candidates if len(keys) == 1)
    votes.pop("", None)
    ranked = votes.most_common()
    # About one kind when the others have a column at most (a link: "Company", "Person"); a file with two kinds'
    # fields in earnest (the template: a company, its person and a deal) keeps the usual guess.
    main = ranked[0][0] if ranked and ranked[0][1] > 1 and all(count <= 1 for _kind, count in ranked[1:]) else None
    taken: set[str] = set()
    mapping: list[str | None] = []
    for column, keys in zip(columns, candidates, strict=True):
        mains = [key for key in keys if _kind_of_key(key) == main]
        target = mains[0] if len(keys) > 1 and len(mains) == 1 else guess_target(column)
        if target is not None and target in taken:
            target = None
        if target is not None:
            taken.add(target)
        mapping.append(target)
    return mapping
