"""Step 4's keys: which existing record a row of the file is.

Companies match by tax id (NIP), then REGON, then website domain, then normalised name; persons by e-mail, then
phone, then name within their company. The keys are normalised the same way on both sides: the file's values by the
parsers (values.py), the stored ones by the same functions (they were typed by hand: "PL 526-000-12-46",
"https://www.acme.pl/", "+48 600-100-200").

The run reads the account's keys once (`CompanyIndex.load`, `PersonIndex.load`: one streamed query each, ids and
the key columns only) and then decides every row in Python with dictionaries: the cost is the account's size once
plus a lookup per row, never a query per row or per batch. The stored values' keys are computed by the same
functions as the file's (cached by text). `match_companies` and `match_persons` answer a list of rows the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.core.text import fold, normalise_spaces
from headwater.imports import values
from headwater.persons.models import Person

# Legal forms that say nothing about which company it is: "Acme sp. z o.o." is "ACME".
_LEGAL_FORMS = re.compile(
    r"\b(sp\.?\s*z\s*o\.?\s*o\.?|sp\.?\s*j\.?|sp\.?\s*k\.?|sp\.?\s*p\.?|s\.?\s*a\.?|s\.?\s*c\.?"
    r"|ltd\.?|limited|inc\.?|llc|gmbh|ag|plc|s\.?r\.?o\.?|sas|sarl|b\.?v\.?)(?=\s|$|[,.;])",
)


def nip_key(value: object) -> str:
    try:
        return values.parse_nip(str(value or ""))
    except values.ValueProblem:
        return ""


def regon_key(value: object) -> str:
    try:
        return values.parse_regon(str(value or ""))
    except values.ValueProblem:
        return ""


def domain_key(value: object) -> str:
    try:
        return values.website_domain(str(value or ""))
    except values.ValueProblem:
        return ""


_NOT_WORD = re.compile(r"[^\w]+")


def company_name_key(value: object) -> str:
    """ "ACME Sp. z o.o." and "Acme" -> "acme": folded, without the legal form and punctuation.

    Written for a file's every company name (they are mostly distinct: the cache below misses): a printable text
    without two spaces in a row is its spaces normalised already, once its ends are stripped (as plan._cell_text
    reads a cell); and each run of characters that are not a word's is one space after the substitution, so only
    the ends remain to strip (every whitespace character is one of them). tests/test_dedupe.py compares it with
    `_company_name_key_in_full`."""
    text = str(value or "")
    text = fold(text.strip(" ") if text.isprintable() and "  " not in text else normalise_spaces(text))
    return _NOT_WORD.sub(" ", _LEGAL_FORMS.sub(" ", text)).strip(" ")


def _company_name_key_in_full(value: object) -> str:
    """`company_name_key` as it was written first: the reference its shortcuts are tested against."""
    text = fold(normalise_spaces(str(value or "")))
    text = _LEGAL_FORMS.sub(" ", text)
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


# The keys of stored values, cached by the text: an account's records and a file repeat names, sites and ids.
cached_nip_key = lru_cache(maxsize=16_384)(nip_key)
cached_regon_key = lru_cache(maxsize=16_384)(regon_key)
cached_domain_key = lru_cache(maxsize=16_384)(domain_key)
cached_company_name_key = lru_cache(maxsize=16_384)(company_name_key)


def email_key(value: object) -> str:
    return str(value or "").strip().lower()


def phone_key(value: object, *, region: str = values.DEFAULT_REGION) -> str:
    try:
        return values.parse_phone(str(value or ""), region=region)
    except values.ValueProblem:
        return ""


@lru_cache(maxsize=16_384)  # a file's and an account's persons repeat their first and last names
def person_name_key(first_name: object, last_name: object) -> str:
    return " ".join(fold(f"{first_name or ''} {last_name or ''}").split())


@dataclass(frozen=True)
class CompanyKeys:
    tax_id: str = ""
    regon: str = ""
    website: str = ""
    name: str = ""

    def normalised(self) -> tuple[str, str, str, str]:
        return (
            cached_nip_key(self.tax_id),
            cached_regon_key(self.regon),
            cached_domain_key(self.website),
            cached_company_name_key(self.name),
        )


def company_keys(values: dict[str, str]) -> tuple[str, str, str, str]:
    """`CompanyKeys(...).normalised()` of a company's values as the file's rows give them (plan.plan_row), without
    an instance per row. Their NIP and REGON are their parsers' answers already (ten and nine or fourteen digits),
    which are their own keys (tests/test_dedupe.py): not parsed again (a file's tax ids are mostly distinct, so the
    cache would only miss)."""
    get = values.get
    return (
        get("tax_id", ""),
        get("regon", ""),
        cached_domain_key(get("website", "")),
        cached_company_name_key(get("name", "")),
    )


@dataclass(frozen=True)
class PersonKeys:
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    company_id: int | None = None  # the row's company, once matched or created


class CompanyIndex:
    """The account's companies by each key, read once per run (ids only; the oldest wins a tie)."""

    def __init__(self) -> None:
        self.by_nip: dict[str, int] = {}
        self.by_regon: dict[str, int] = {}
        self.by_domain: dict[str, int] = {}
        self.by_name: dict[str, int] = {}

    def add(self, pk: int, tax_id: str, regon: str, website: str, name: str) -> None:
        for index, key in (
            (self.by_nip, cached_nip_key(tax_id)),
            (self.by_regon, cached_regon_key(regon)),
            (self.by_domain, cached_domain_key(website)),
            (self.by_name, cached_company_name_key(name)),
        ):
            if key:
                index.setdefault(key, pk)

    def match(self, keys: tuple[str, str, str, str]) -> int | None:
        """The company of these normalised keys, in the issue's order: NIP, REGON, domain, name."""
        nip, regon, domain, name = keys
        return (
            (nip and self.by_nip.get(nip))
            or (regon and self.by_regon.get(regon))
            or (domain and self.by_domain.get(domain))
            or (name and self.by_name.get(name))
            or None
        )

    @classmethod
    def load(cls, account: Account) -> CompanyIndex:
        """One streamed query over the account's companies: the cost is the account's size once, not the
        file's rows times the candidates (a per-batch query by name prefix grew with every batch the run wrote)."""
        index = cls()
        rows = (
            Company.objects.for_account(account)
            .order_by("id")
            .values_list("id", "tax_id", "regon", "website", "name")
            .iterator(chunk_size=10_000)
        )
        for pk, tax_id, regon, website, name in rows:
            index.add(pk, tax_id, regon, website, name)
        return index


class PersonIndex:
    """The account's persons by e-mail, phone and name within their company, read once per run (ids only)."""

    def __init__(self, region: str = values.DEFAULT_REGION) -> None:
        self.region = region
        self.by_email: dict[str, int] = {}
        self.by_phone: dict[str, int] = {}
        self.by_name: dict[tuple[int | None, str], int] = {}

    def add(  # noqa: PLR0917 — one person's key columns, as the query gives them
        self, pk: int, email: str, phone: str, first_name: str, last_name: str, company_id: int | None
    ) -> None:
        if email:
            self.by_email.setdefault(email_key(email), pk)
        number = phone_key(phone, region=self.region) if phone else ""
        if number:
            self.by_phone.setdefault(number, pk)
        self.by_name.setdefault((company_id, person_name_key(first_name, last_name)), pk)

    def match(self, row: PersonKeys) -> int | None:
        email = email_key(row.email)
        phone = phone_key(row.phone, region=self.region) if row.phone else ""
        name = person_name_key(row.first_name, row.last_name) if row.company_id and row.last_name else None
        return self.match_keys(email, phone, row.company_id, name)

    def match_keys(self, email: str, phone: str, company_id: int | None, name: str | None) -> int | None:
        """`match` of keys already normalised (the run computes them once for the index and its own records):
        `name` is None for a row without a company or a last name."""
        return (
            (email and self.by_email.get(email))
            or (phone and self.by_phone.get(phone))
            or (self.by_name.get((company_id, name)) if name is not None else None)
            or None
        )

    @classmethod
    def load(cls, account: Account, region: str = values.DEFAULT_REGION) -> PersonIndex:
        index = cls(region)
        rows = (
            Person.objects.for_account(account)
            .order_by("id")
            .values_list("id", "email", "phone", "first_name", "last_name", "company_id")
            .iterator(chunk_size=10_000)
        )
        for row in rows:
            index.add(*row)
        return index


def match_companies(*, account: Account, rows: Sequence[CompanyKeys]) -> list[Company | None]:
    """The existing company each row is (None: a new one), in one query."""
    keys = [row.normalised() for row in rows]
    if not any(any(key) for key in keys):
        return [None] * len(rows)
    found = {
        c.pk: c
        for c in Company.objects.for_account(account).order_by("id").only("id", "name", "tax_id", "regon", "website")
    }
    index = CompanyIndex()
    for c in found.values():
        index.add(c.pk, c.tax_id, c.regon, c.website, c.name)
    return [found.get(index.match(key) or 0) for key in keys]


def match_persons(
    *, account: Account, rows: Sequence[PersonKeys], region: str = values.DEFAULT_REGION
) -> list[Person | None]:
    """The existing person each row is (None: a new one): by e-mail, then phone, then name within the row's
    company; one query."""
    if not any(row.email or row.phone or (row.company_id and row.last_name) for row in rows):
        return [None] * len(rows)
    found = {
        p.pk: p
        for p in Person.objects.for_account(account)
        .order_by("id")
        .only("id", "first_name", "last_name", "email", "phone", "company_id")
    }
    index = PersonIndex(region)
    for p in found.values():
        index.add(p.pk, p.email, p.phone, p.first_name, p.last_name, p.company_id)
    return [found.get(index.match(row) or 0) for row in rows]
