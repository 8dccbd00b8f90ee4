"""Step 4's keys: which existing record a row of the file is.

Companies match by tax id (NIP), then REGON, then website domain, then normalised name; persons by e-mail, then
phone, then name within their company. The keys are normalised the same way on both sides: the file's values by the
parsers (values.py), the stored ones by the same functions (they were typed by hand: "PL 526-000-12-46",
"https://www.acme.pl/", "+48 600-100-200").

`match_companies` and `match_persons` take a whole batch of rows and ask the database once each: one query finds
every candidate for the batch (by the keys, roughly normalised in SQL so an index-free scan of the account's rows
is the worst case), and Python decides with the exact keys in the order above.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Lower, Replace, Upper

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


def company_name_key(value: object) -> str:
    """ "ACME Sp. z o.o." and "Acme" -> "acme": folded, without the legal form and punctuation."""
    text = fold(normalise_spaces(str(value or "")))
    text = _LEGAL_FORMS.sub(" ", text)
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def email_key(value: object) -> str:
    return str(value or "").strip().lower()


def phone_key(value: object, *, region: str = values.DEFAULT_REGION) -> str:
    try:
        return values.parse_phone(str(value or ""), region=region)
    except values.ValueProblem:
        return ""


def person_name_key(first_name: object, last_name: object) -> str:
    return " ".join(fold(f"{first_name or ''} {last_name or ''}").split())


@dataclass(frozen=True)
class CompanyKeys:
    tax_id: str = ""
    regon: str = ""
    website: str = ""
    name: str = ""

    def normalised(self) -> tuple[str, str, str, str]:
        return nip_key(self.tax_id), regon_key(self.regon), domain_key(self.website), company_name_key(self.name)


@dataclass(frozen=True)
class PersonKeys:
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    company_id: int | None = None  # the row's company, once matched or created


def _stripped(expression: object, *characters: str) -> object:
    for character in characters:
        expression = Replace(expression, Value(character), Value(""))  # type: ignore[arg-type]  # chained expressions
    return expression


def match_companies(*, account: Account, rows: Sequence[CompanyKeys]) -> list[Company | None]:
    """The existing company each row is (None: a new one), in one query for the whole batch."""
    keys = [row.normalised() for row in rows]
    nips = {nip for nip, _r, _d, _n in keys if nip}
    regons = {regon for _t, regon, _d, _n in keys if regon}
    domains = {domain for _t, _r, domain, _n in keys if domain}
    # A name is looked for by the first word of its key at the start of the record's search key (records/search.py:
    # the folded name comes first there): folded in Python, so "ŁÓDŹ" finds "Łódź" on SQLite too, whose lower()
    # knows only ASCII. The candidates are then compared by their whole key.
    prefixes = {name.split()[0] for _t, _r, _d, name in keys if name}
    if not (nips or regons or domains or prefixes):
        return [None] * len(rows)
    candidates: QuerySet[Company] = Company.objects.for_account(account).annotate(
        tax_key=_stripped(Upper(F("tax_id")), "-", " ", ".", "PL"),
        regon_sql=_stripped(F("regon"), "-", " "),
        site_key=_stripped(Lower(F("website")), "https://", "http://", "www.", "/"),
    )
    condition = Q(tax_key__in=nips) | Q(regon_sql__in=regons) | Q(site_key__in=domains)
    for prefix in sorted(prefixes):
        condition |= Q(search_key__startswith=prefix)
    found = list(candidates.filter(condition).order_by("id").only("id", "name", "tax_id", "regon", "website"))
    by_nip: dict[str, Company] = {}
    by_regon: dict[str, Company] = {}
    by_domain: dict[str, Company] = {}
    by_name: dict[str, Company] = {}
    for company in found:  # the oldest wins a tie: setdefault
        for index, key in (
            (by_nip, nip_key(company.tax_id)),
            (by_regon, regon_key(company.regon)),
            (by_domain, domain_key(company.website)),
            (by_name, company_name_key(company.name)),
        ):
            if key:
                index.setdefault(key, company)
    matches: list[Company | None] = []
    for nip, regon, domain, name in keys:
        matches.append(
            (nip and by_nip.get(nip))
            or (regon and by_regon.get(regon))
            or (domain and by_domain.get(domain))
            or (name and by_name.get(name))
            or None
        )
    return matches


def match_persons(
    *, account: Account, rows: Sequence[PersonKeys], region: str = values.DEFAULT_REGION
) -> list[Person | None]:
    """The existing person each row is (None: a new one): by e-mail, then phone, then name within the row's
    company; one query for the whole batch."""
    emails = {email_key(row.email) for row in rows if row.email}
    phones = {phone_key(row.phone, region=region) for row in rows if row.phone} - {""}
    # A stored phone is compared in SQL without its spaces, dashes and brackets: both the E.164 form and the
    # national number (what people type without the country code) find it; Python then compares exactly.
    phone_forms = phones | {phone[3:] for phone in phones if phone.startswith("+48")}
    # A name counts within its company only: the batch's companies' persons are the candidates.
    company_ids = {row.company_id for row in rows if row.company_id and row.last_name}
    if not (emails or phone_forms or company_ids):
        return [None] * len(rows)
    candidates: QuerySet[Person] = Person.objects.for_account(account).annotate(
        email_lower=Lower(F("email")),
        phone_sql=_stripped(F("phone"), " ", "-", "(", ")", "."),
    )
    condition = Q(email_lower__in=emails) | Q(phone_sql__in=phone_forms) | Q(company_id__in=company_ids)
    found = list(
        candidates.filter(condition)
        .order_by("id")
        .only("id", "first_name", "last_name", "email", "phone", "company_id")
    )
    by_email: dict[str, Person] = {}
    by_phone: dict[str, Person] = {}
    by_name: dict[tuple[int | None, str], Person] = {}
    for person in found:
        if person.email:
            by_email.setdefault(email_key(person.email), person)
        phone = phone_key(person.phone, region=region)
        if phone:
            by_phone.setdefault(phone, person)
        by_name.setdefault((person.company_id, person_name_key(person.first_name, person.last_name)), person)
    matches: list[Person | None] = []
    for row in rows:
        email = email_key(row.email)
        phone = phone_key(row.phone, region=region) if row.phone else ""
        name = person_name_key(row.first_name, row.last_name)
        matches.append(
            (email and by_email.get(email))
            or (phone and by_phone.get(phone))
            or (row.company_id and row.last_name and by_name.get((row.company_id, name)))
            or None
        )
    return matches
