# Long on purpose: one fixed-seed generator; its builders share the seed's random stream and its context.
"""The demo accounts behind `make run`: realistic Polish data in `demo`, a small English account in `acme`.

Everything is generated from a fixed random seed and written with `bulk_create` in one transaction, so a run
either creates all of it or nothing. Dates are relative to the day of the run (the demo always looks current).

`demo` uses Polish as its default language: the data is Polish (names, NIP numbers, addresses), the product's
seed comes from a Polish CRM, and anyone can switch the interface to English in the header (the choice is kept
in a cookie). `acme` is English and in EUR, which shows how the account's defaults change with the account.
"""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from headwater.campaigns.models import Campaign
from headwater.campaigns.services import campaign_create, records_campaign_history
from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.deals.models import Deal, DealStatus
from headwater.persons.models import Person
from headwater.records.models import RecordOrigin
from headwater.records.services import search_key_of
from headwater.sources.models import HowChanged, RecordType, Source, SourceChange
from headwater.sources.services import source_alias_create
from headwater.spend.services import spend_create
from headwater.stats.services import exchange_rate_create
from headwater.users.links import invitation_max_age, secret_make
from headwater.users.models import Invitation, Membership, Role, User
from headwater.users.services import account_create

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 — the published demo login, printed by `make run`
DEMO_LOGINS = ("admin@demo.test", "member@demo.test", "viewer@demo.test", "katarzyna@demo.test", "sales@acme.test")
SEED = 2026
DASH = "\N{EN DASH}"

# --- Polish vocabulary ----------------------------------------------------------------------------------------

MALE_FIRST = [
    "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Jan", "Michał", "Marcin", "Marek", "Grzegorz",
    "Adam", "Łukasz", "Zbigniew", "Jerzy", "Tadeusz", "Mateusz", "Dariusz", "Mariusz", "Wojciech", "Ryszard",
    "Jakub", "Kamil", "Maciej", "Rafał", "Robert", "Bartosz", "Sebastian", "Artur", "Damian", "Szymon",
]  # fmt: skip
FEMALE_FIRST = [
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna", "Magdalena", "Elżbieta",
    "Joanna", "Aleksandra", "Monika", "Zofia", "Teresa", "Danuta", "Natalia", "Karolina", "Marta", "Beata",
    "Dorota", "Halina", "Jadwiga", "Julia", "Justyna", "Paulina", "Iwona", "Agata", "Weronika", "Sylwia",
]  # fmt: skip
# Masculine forms; -ski/-cki/-dzki take -ska/-cka/-dzka for women, the others do not change.
SURNAMES = [
    "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński", "Szymański",
    "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Wojciechowski", "Kwiatkowski", "Krawczyk",
    "Kaczmarek", "Piotrowski", "Grabowski", "Zając", "Pawłowski", "Michalski", "Król", "Wieczorek", "Jabłoński",
    "Wróbel", "Nowakowski", "Majewski", "Olszewski", "Stępień", "Malinowski", "Jaworski", "Adamczyk", "Dudek",
    "Nowicki", "Pawlak", "Górski", "Witkowski", "Walczak", "Sikora", "Baran", "Rutkowski", "Michalak", "Szewczyk",
    "Ostrowski", "Tomaszewski", "Pietrzak", "Marciniak", "Wróblewski", "Zalewski", "Jakubowski", "Jasiński",
    "Zawadzki", "Sadowski", "Bąk", "Chmielewski", "Włodarczyk", "Borkowski", "Czarnecki", "Sawicki", "Sokołowski",
    "Kubiak", "Maciejewski", "Szczepański", "Kucharski", "Wilk", "Kalinowski", "Lis", "Mazurek", "Wysocki",
    "Kaźmierczak", "Sobczak", "Czerwiński", "Cieślak", "Głowacki", "Kołodziej", "Sikorski", "Krajewski",
    "Szulc", "Baranowski", "Laskowski", "Brzeziński", "Makowski", "Przybylski", "Zawisza", "Gołębiowski",
]  # fmt: skip
POSITIONS = [
    "Prezes zarządu", "Członek zarządu", "Dyrektor handlowy", "Dyrektor finansowy", "Dyrektor operacyjny",
    "Kierownik zakupów", "Specjalista ds. zakupów", "Kierownik projektu", "Właściciel", "Office manager",
    "Kierownik IT", "Główny księgowy", "Kierownik produkcji", "Kierownik sprzedaży", "Specjalista ds. logistyki",
]  # fmt: skip
NAME_STEMS = [
    "Agro", "Bud", "Eko", "Euro", "Inter", "Med", "Pol", "Trans", "Tech", "Stal", "Drew", "Elektro", "Info",
    "Mleko", "Auto", "Termo", "Hydro", "Geo", "Farm", "Chem", "Tele", "Graf", "Opti", "Metal", "Pak", "Kom",
    "Las", "Wod", "Sol", "Piek",
]  # fmt: skip
NAME_ENDINGS = ["pol", "mex", "bud", "tex", "trans", "soft", "med", "gaz", "stal", "tech", "plast", "serwis", "net"]
NAME_PATTERNS = [
    "{stem}{ending}", "{stem}{ending}", "{stem}-{Ending}", "{stem}{ending} {city}", "PHU {stem}{ending}",
    "{surname} i Synowie", "Zakład {Stem2} {surname}", "{stem}{ending} Polska", "Przedsiębiorstwo {stem}{ending}",
]  # fmt: skip
LEGAL_FORMS = [("sp. z o.o.", 58), ("S.A.", 9), ("s.c.", 15), ("sp.j.", 6), ("sp.k.", 4), ("", 8)]
# City, postal-code prefixes (first two digits), landline area code.
CITIES = [
    ("Warszawa", ["00", "01", "02", "03", "04"], "22", 24), ("Kraków", ["30", "31"], "12", 10),
    ("Łódź", ["90", "91", "92", "93"], "42", 7), ("Wrocław", ["50", "51", "52", "53"], "71", 9),
    ("Poznań", ["60", "61"], "61", 8), ("Gdańsk", ["80"], "58", 6), ("Szczecin", ["70", "71"], "91", 4),
    ("Bydgoszcz", ["85"], "52", 3), ("Lublin", ["20"], "81", 4), ("Białystok", ["15"], "85", 3),
    ("Katowice", ["40"], "32", 6), ("Gdynia", ["81"], "58", 3), ("Częstochowa", ["42"], "34", 2),
    ("Radom", ["26"], "48", 2), ("Rzeszów", ["35"], "17", 3), ("Toruń", ["87"], "56", 2),
    ("Kielce", ["25"], "41", 2), ("Olsztyn", ["10"], "89", 2), ("Opole", ["45"], "77", 2),
    ("Zielona Góra", ["65"], "68", 1), ("Nowy Sącz", ["33"], "18", 1), ("Płock", ["09"], "24", 1),
]  # fmt: skip
STREETS = [
    "ul. Marszałkowska", "ul. Długa", "ul. Polna", "ul. Leśna", "ul. Słoneczna", "ul. Krótka", "ul. Szkolna",
    "ul. Ogrodowa", "ul. Lipowa", "ul. Tadeusza Kościuszki", "ul. Adama Mickiewicza", "ul. Józefa Piłsudskiego",
    "al. Jana Pawła II", "ul. Henryka Sienkiewicza", "ul. Kwiatowa", "ul. Przemysłowa", "ul. Fabryczna",
    "ul. Kolejowa", "ul. Wrocławska", "ul. Warszawska", "ul. Mickiewicza", "al. Solidarności", "ul. Zielona",
    "ul. Spacerowa", "ul. Grunwaldzka", "ul. 3 Maja", "ul. Armii Krajowej", "ul. Żeromskiego", "ul. Kasztanowa",
]  # fmt: skip
FREE_MAIL = ["gmail.com", "wp.pl", "onet.pl", "o2.pl", "interia.pl"]
DEAL_TOPICS = [
    "Wdrożenie systemu ERP", "Licencje roczne", "Dostawa sprzętu", "Szkolenie zespołu sprzedaży", "Umowa serwisowa",
    "Rozbudowa magazynu", "Pakiet konsultacji", "Modernizacja linii produkcyjnej", "Audyt bezpieczeństwa",
    "Kampania marketingowa", "Flota samochodowa", "Dostawa materiałów", "Integracja z e-sklepem",
    "Wynajem powierzchni", "Abonament wsparcia technicznego", "Projekt pilotażowy", "Odnowienie kontraktu",
    "Oprogramowanie magazynowe", "Montaż instalacji fotowoltaicznej", "Outsourcing księgowości",
]  # fmt: skip
LOST_REASONS = [
    ("Za wysoka cena", 30), ("Wybrali konkurencję", 25), ("Brak budżetu", 15), ("Projekt wstrzymany", 12),
    ("Brak decyzji po stronie klienta", 10), ("Nie spełniamy wymagań technicznych", 8),
]  # fmt: skip

# Starter sources by position (see sources.services.STARTER_SOURCES), with weight, win-rate and value factors:
# referrals and partners close more and bigger deals, advertising brings many small ones.
SOURCE_PROFILE = {
    1: (30, 0.38, 1.0),  # Website
    2: (16, 0.55, 1.4),  # Referral
    3: (9, 0.22, 0.9),  # Cold call
    4: (6, 0.40, 1.6),  # Trade fair (archived in the demo, still on old records)
    5: (12, 0.30, 0.7),  # Social media
    6: (9, 0.25, 0.6),  # Advertising
    7: (7, 0.50, 1.8),  # Partner
    8: (5, 0.28, 0.8),  # E-mail campaign
    9: (2, 0.35, 1.0),  # Other
}
NO_SOURCE_SHARE = 0.12
# Other spellings of the starter sources, as an old spreadsheet had them: (position, alias).
DEMO_ALIASES = [
    (1, "www"),
    (2, "Z polecenia"),
    (4, "Targi Poznań"),
    (5, "Facebook"),
    (5, "LinkedIn"),
    (6, "Google Ads"),
]
# The demo's paid sources, by position: a monthly budget in PLN (spread ±25 % by the seed) and the campaigns that
# run under them (name, share of the source's records and spend), so Statistics shows spend, return, the cohorts
# and the drill-down to campaigns from the first view.
DEMO_SPEND = {5: Decimal(20000), 6: Decimal(40000), 8: Decimal(6000)}  # Social media, Advertising, E-mail campaign
DEMO_CAMPAIGNS = {
    6: [("Google Ads: wyszukiwarka", 0.5), ("Remarketing", 0.25)],
    5: [("LinkedIn: kadra zarządzająca", 0.4)],
}
DEMO_SPEND_MONTHS = 12
# A rate for every foreign currency each demo account's deals use, so the first Statistics view converts every
# deal instead of warning about them (values of late 2026; `make run` is a demo, not a price feed).
DEMO_RATES = {"demo": {"EUR": Decimal("4.2500"), "USD": Decimal("3.6500")}, "acme": {"GBP": Decimal("1.1600")}}


def _ascii(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _domain_slug(text: str) -> str:
    return "".join(ch for ch in _ascii(text).lower() if ch.isalnum())


def nip_checksum_ok(nip: str) -> bool:
    digits = [int(c) for c in nip if c.isdigit()]
    if len(digits) != 10:
        return False
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 == digits[9]


def _nip(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(1, 9), *(rng.randint(0, 9) for _ in range(8))]
        check = sum(d * w for d, w in zip(digits, (6, 5, 7, 2, 3, 4, 5, 6, 7), strict=True)) % 11
        if check != 10:
            return "".join(map(str, [*digits, check]))


def _female(surname: str) -> str:
    for masculine, feminine in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if surname.endswith(masculine):
            return surname[: -len(masculine)] + feminine
    return surname


def _street(rng: random.Random) -> str:
    suffix = rng.choice(["", "", "", "A", "B", f"/{rng.randint(1, 40)}"])
    return f"{rng.choice(STREETS)} {rng.randint(1, 180)}{suffix}"


_T = TypeVar("_T")


def _weighted(rng: random.Random, pairs: list[tuple[_T, int]]) -> _T:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _mobile(rng: random.Random) -> str:
    prefix = f"{rng.choice('5678')}{rng.randint(0, 9)}{rng.randint(0, 9)}"
    return f"+48 {prefix} {rng.randint(100, 999)} {rng.randint(100, 999)}"


@dataclass
class DemoResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Ctx:
    rng: random.Random
    account: Account
    now: datetime
    owners: list[tuple[User | None, int]]
    sources: dict[int, Source] = field(default_factory=dict)
    changes: list[SourceChange] = field(default_factory=list)

    def owner(self) -> User | None:
        return _weighted(self.rng, self.owners)

    def source(self) -> Source | None:
        if not self.sources or self.rng.random() < NO_SOURCE_SHARE:
            return None
        # Only the starter sources bring demo records; the ones the default capture rules add wait for leads.
        positions = [p for p in self.sources if p in SOURCE_PROFILE]
        return self.sources[self.rng.choices(positions, weights=[SOURCE_PROFILE[p][0] for p in positions])[0]]

    def log_sources(self, record_type: RecordType, records: list[Any]) -> None:
        for record in records:
            if record.source is None:
                continue
            assert record.pk is not None  # noqa: S101 — bulk_create returns primary keys on SQLite and PostgreSQL
            self.changes.append(
                SourceChange(
                    account=self.account,
                    record_type=record_type,
                    record_id=record.pk,
                    new_source_id=record.source.pk,
                    new_name=record.source.name,
                    how=HowChanged.IMPORT,
                    user=None,
                    at=record.created_at,
                )
            )


def _with_keys(records: list[Any]) -> list[Any]:
    """bulk_create bypasses the services: give each record its search key, or the list search misses it, and say
    honestly how it was created (the detail page shows "Created as demo data")."""
    for record in records:
        record.search_key = search_key_of(record)
        record.origin = RecordOrigin.DEMO
    return records


def _user(email: str, full_name: str, *, password: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        # The demo's own addresses: confirmed, so the printed logins work at once.
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name, email_confirmed_at=timezone.now()
        )
    return user


def _member(account: Account, user: User, role: Role) -> None:
    Membership.unscoped.get_or_create(account=account, user=user, defaults={"role": role})


def _companies(ctx: _Ctx, count: int) -> list[Company]:
    rng, seen = ctx.rng, set()
    companies: list[Company] = []
    city_weights = [c[3] for c in CITIES]
    while len(companies) < count:
        city, prefixes, area, _ = rng.choices(CITIES, weights=city_weights)[0]
        stem, ending = rng.choice(NAME_STEMS), rng.choice(NAME_ENDINGS)
        base = rng.choice(NAME_PATTERNS).format(
            stem=stem,
            ending=ending,
            Ending=ending.capitalize(),
            Stem2=rng.choice(["Produkcyjny", "Usługowy", "Handlowy", "Remontowy"]),
            surname=rng.choice(SURNAMES),
            city=city,
        )
        form = _weighted(rng, LEGAL_FORMS)
        name = f"{base} {form}".strip()
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        domain = _domain_slug(base)[:40] + rng.choice([".pl", ".pl", ".pl", ".com.pl", ".eu"])
        created = ctx.now - timedelta(days=rng.uniform(30, 790), seconds=rng.randint(0, 86_399))
        companies.append(
            Company(
                account=ctx.account,
                name=name,
                tax_id=_nip(rng) if rng.random() < 0.93 else "",
                website=f"https://www.{domain}" if rng.random() < 0.8 else "",
                email=f"{rng.choice(['biuro', 'kontakt', 'info', 'sekretariat'])}@{domain}"
                if rng.random() < 0.85
                else "",
                phone=f"+48 {area} {rng.randint(200, 899)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
                if rng.random() < 0.6
                else _mobile(rng),
                street=_street(rng),
                postal_code=f"{rng.choice(prefixes)}-{rng.randint(0, 999):03d}",
                city=city,
                country="Polska",
                owner=ctx.owner(),
                source=ctx.source(),
                created_at=created,
                updated_at=created,
                notes=rng.choice(
                    ["", "", "", "Klient z polecenia zarządu.", "Preferuje kontakt mailowy.", "Płatności 30 dni."]
                ),
            )
        )
    for company in companies:
        company.created_by = company.owner
    return Company.unscoped.bulk_create(_with_keys(companies), batch_size=500)


def _persons(ctx: _Ctx, count: int, companies: list[Company]) -> list[Person]:
    rng = ctx.rng
    persons = []
    used_emails: set[str] = set()
    for _ in range(count):
        female = rng.random() < 0.48
        first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
        surname = rng.choice(SURNAMES)
        last = _female(surname) if female else surname
        company = rng.choice(companies) if rng.random() < 0.86 else None
        if company is not None:
            domain = company.email.partition("@")[2] or company.website.removeprefix("https://www.")
            source = company.source if rng.random() < 0.7 else ctx.source()
            created = company.created_at + timedelta(days=rng.uniform(0, 60))
            created = min(created, ctx.now - timedelta(hours=rng.randint(1, 500)))
        else:
            domain = rng.choice(FREE_MAIL)
            source = ctx.source()
            created = ctx.now - timedelta(days=rng.uniform(1, 760))
        local = f"{_domain_slug(first)}.{_domain_slug(last)}"
        email = f"{local}@{domain}" if domain and rng.random() < 0.85 else ""
        # Only a real address needs a twin told apart; an empty one stays empty (a number before an empty
        # domain made "name96@", which the person's edit form then refused).
        while email and email in used_emails:
            email = f"{local}{rng.randint(2, 99)}@{domain}"
        used_emails.add(email)
        owner = company.owner if company is not None and rng.random() < 0.8 else ctx.owner()
        persons.append(
            Person(
                account=ctx.account,
                first_name=first,
                last_name=last,
                email=email,
                phone=_mobile(rng) if rng.random() < 0.8 else "",
                position=rng.choice(POSITIONS) if company is not None else "",
                company=company,
                owner=owner,
                created_by=owner,
                source=source,
                created_at=created,
                updated_at=created,
            )
        )
    return Person.unscoped.bulk_create(_with_keys(persons), batch_size=500)


def _deal_value(rng: random.Random, factor: float) -> Decimal:
    # Log-normal around ~25,000 PLN, clamped, rounded to whole hundreds.
    raw = rng.lognormvariate(10.1, 0.9) * factor
    return Decimal(int(min(max(raw, 1_500), 900_000) / 100) * 100).quantize(Decimal("0.01"))


def _deals(ctx: _Ctx, count: int, companies: list[Company], persons: list[Person]) -> list[Deal]:
    rng, today = ctx.rng, timezone.localdate(ctx.now)
    by_created = sorted(companies, key=lambda c: c.created_at)
    created_keys = [c.created_at for c in by_created]
    persons_of: dict[int, list[Person]] = {}
    for p in persons:
        if p.company_id is not None:
            persons_of.setdefault(p.company_id, []).append(p)
    loose_persons = [p for p in persons if p.company_id is None]
    deals = []
    for _ in range(count):
        # More deals recently: the team grew over the two years.
        age_days = 730 * (1 - rng.random() ** 0.75)
        created = ctx.now - timedelta(days=age_days, seconds=rng.randint(0, 86_399))
        eligible = bisect_right(created_keys, created)
        company: Company | None = None
        person: Person | None = None
        if eligible and rng.random() < 0.9:
            company = by_created[rng.randrange(eligible)]
            staff = [p for p in persons_of.get(company.pk, []) if p.created_at <= created]
            if staff and rng.random() < 0.7:
                person = rng.choice(staff)
        else:
            candidates = [p for p in loose_persons if p.created_at <= created]
            person = rng.choice(candidates) if candidates else None
        contact = person or company
        source = (
            (person.source if person is not None and person.source else company.source if company else None)
            if rng.random() < 0.75
            else ctx.source()
        )
        _, win_rate, factor = SOURCE_PROFILE.get(source.position if source else 0, (0, 0.3, 1.0))
        currency = _weighted(rng, [("PLN", 90), ("EUR", 7), ("USD", 3)])
        value = _deal_value(rng, factor)
        if currency != "PLN":
            value = (value / DEMO_RATES["demo"][currency]).quantize(Decimal("1")).quantize(Decimal("0.01"))
        created_day = timezone.localdate(created)
        cycle = timedelta(days=int(rng.triangular(5, 150, 35)))
        closes = created_day + cycle
        status = DealStatus.OPEN
        closed_at: date | None = None
        lost_reason = ""
        if closes <= today and rng.random() < 0.9:
            status = DealStatus.WON if rng.random() < win_rate else DealStatus.LOST
            closed_at = closes
            if status == DealStatus.LOST:
                lost_reason = _weighted(rng, LOST_REASONS) if rng.random() < 0.85 else ""
        expected = None
        if status == DealStatus.OPEN:
            expected = max(closes, today + timedelta(days=rng.randint(3, 60)))
        owner = contact.owner if contact is not None and rng.random() < 0.75 else ctx.owner()
        topic = rng.choice(DEAL_TOPICS)
        name = f"{topic} {DASH} {company.name if company else person.full_name if person else 'klient indywidualny'}"
        updated = created
        if closed_at is not None:
            updated = max(created, timezone.make_aware(datetime.combine(closed_at, datetime.min.time())))
        deals.append(
            Deal(
                account=ctx.account,
                name=name[:200],
                value=value,
                currency=currency,
                status=status,
                expected_close_date=expected,
                closed_at=closed_at,
                lost_reason=lost_reason,
                company=company,
                person=person,
                owner=owner,
                created_by=owner,
                source=source,
                created_at=created,
                updated_at=min(updated, ctx.now),
            )
        )
    return Deal.unscoped.bulk_create(_with_keys(deals), batch_size=500)


def _rates(account: Account, admin: User) -> None:
    for currency, rate in DEMO_RATES[account.slug].items():
        exchange_rate_create(account=account, user=admin, currency=currency, rate=rate)


def _populate_demo(now: datetime) -> dict[str, int]:
    rng = random.Random(SEED)  # noqa: S311 — demo data, not security
    admin = _user("admin@demo.test", "Adam Nowicki", password=DEMO_PASSWORD)
    member = _user("member@demo.test", "Magdalena Wrona", password=DEMO_PASSWORD)
    viewer = _user("viewer@demo.test", "Wiktor Lis", password=DEMO_PASSWORD)
    colleague = _user("katarzyna@demo.test", "Katarzyna Wiśniewska", password=DEMO_PASSWORD)
    account = account_create(
        name="Demo Sp. z o.o.", slug="demo", currency="PLN", language="pl", owner=admin, time_zone="Europe/Warsaw"
    )
    Account.objects.filter(pk=account.pk).update(sources_enabled=True, source_default_from_contact=True)
    account.refresh_from_db()
    _member(account, member, Role.MEMBER)
    _member(account, viewer, Role.VIEWER)
    _member(account, colleague, Role.MEMBER)
    # An invited colleague who has not answered yet (the members page shows the pending invitation; "Send a new
    # link" prints the e-mail in the terminal of `make run`).
    Invitation.unscoped.create(
        account=account,
        email="piotr@demo.test",
        role=Role.MEMBER,
        invited_by=admin,
        token_hash=secret_make()[1],
        created_at=now,
        sent_at=now,
        expires_at=now + invitation_max_age(),
    )
    sources = {s.position: s for s in Source.objects.for_account(account)}
    # Trade fairs stopped after the pandemic: archived, but old records still carry it.
    Source.objects.for_account(account).filter(pk=sources[4].pk).update(archived=True)
    sources[4].archived = True
    ctx = _Ctx(
        rng=rng,
        account=account,
        now=now,
        owners=[(admin, 20), (member, 35), (colleague, 38), (None, 7)],
        sources=sources,
    )
    # Each kind's demo data is written by hand (Polish names, NIPs, deal stories); their search keys come from the
    # record registry (search_key_of).
    companies = _companies(ctx, 320)
    persons = _persons(ctx, 1000, companies)
    deals = _deals(ctx, 2000, companies, persons)
    ctx.log_sources(RecordType.COMPANY, companies)
    ctx.log_sources(RecordType.PERSON, persons)
    ctx.log_sources(RecordType.DEAL, deals)
    SourceChange.unscoped.bulk_create(ctx.changes, batch_size=1000)
    # Spellings an old spreadsheet used for the sources (Account settings > Acquisition sources > Aliases).
    for position, text in DEMO_ALIASES:
        source_alias_create(account=account, user=admin, source=sources[position], text=text)
    _rates(account, admin)
    _campaigns_and_spend(ctx, admin, [(RecordType.PERSON, Person), (RecordType.DEAL, Deal)])
    return {"companies": len(companies), "persons": len(persons), "deals": len(deals), "history": len(ctx.changes)}


def _campaigns_and_spend(ctx: _Ctx, admin: User, kinds: list[tuple[RecordType, type[Person] | type[Deal]]]) -> None:
    """Campaigns under the paid sources, a share of those sources' persons and deals tagged with them (with their
    campaign history), and a year of monthly spend per source and campaign."""
    account, rng = ctx.account, ctx.rng
    first_month = (ctx.now.date().replace(day=1) - timedelta(days=31 * (DEMO_SPEND_MONTHS - 1))).replace(day=1)
    for position, budget in DEMO_SPEND.items():
        source = ctx.sources[position]
        campaigns: list[tuple[Campaign | None, float]] = []
        for name, share in DEMO_CAMPAIGNS.get(position, []):
            created = campaign_create(
                account=account, user=admin, source=source, name=name, start_date=first_month, budget=budget * 12
            )
            campaigns.append((created, share))
        rest = 1.0 - sum(share for _, share in campaigns)
        for record_type, model in kinds:
            ids = list(
                model.unscoped.filter(account=account, source=source).order_by("pk").values_list("pk", flat=True)
            )
            remaining = 1.0
            for tagged, share in campaigns:
                chosen = {pk for pk in ids if rng.random() < share / remaining}
                remaining -= share
                ids = [pk for pk in ids if pk not in chosen]
                model.unscoped.filter(pk__in=chosen).update(campaign=tagged)
                records_campaign_history(
                    account=account,
                    record_type=record_type.value,
                    current=[(pk, None) for pk in sorted(chosen)],
                    campaign=tagged,
                    how=HowChanged.IMPORT,
                    user=admin,
                )
        campaigns.append((None, rest))
        month = first_month
        while month <= ctx.now.date():
            for spent_on, share in campaigns:
                if share <= 0:
                    continue
                amount = (budget * Decimal(str(share)) * Decimal(str(0.75 + rng.random() / 2))).quantize(Decimal("1"))
                spend_create(account=account, user=admin, source=source, campaign=spent_on, amount=amount, month=month)
            month = (month + timedelta(days=32)).replace(day=1)


ACME_COMPANIES = [
    ("Northwind Traders Ltd", "London", "EC1A 1BB"), ("Contoso Retail plc", "Manchester", "M1 1AE"),
    ("Fabrikam Logistics GmbH", "Berlin", "10115"), ("Tailspin Toys BV", "Amsterdam", "1012 AB"),
    ("Wide World Importers Ltd", "Bristol", "BS1 4DJ"), ("Litware SARL", "Lyon", "69001"),
    ("Adventure Works AG", "Zürich", "8001"), ("Blue Yonder Airlines SA", "Brussels", "1000"),
    ("Coho Vineyard SL", "Madrid", "28001"), ("Proseware Oy", "Helsinki", "00100"),
    ("Lucerne Publishing GmbH", "Vienna", "1010"), ("Trey Research Ltd", "Dublin", "D02 X285"),
    ("Humongous Insurance SpA", "Milan", "20121"), ("Margie's Travel ApS", "Copenhagen", "1050"),
    ("Alpine Ski House AG", "Innsbruck", "6020"), ("Southridge Video AB", "Stockholm", "111 20"),
]  # fmt: skip
ACME_PEOPLE = [
    ("Olivia", "Smith"), ("James", "Brown"), ("Emma", "Müller"), ("Lucas", "Martin"), ("Sophie", "Dubois"),
    ("Noah", "Jansen"), ("Mia", "Rossi"), ("Liam", "O'Brien"), ("Hannah", "Schmidt"), ("Elias", "Virtanen"),
    ("Chloé", "Bernard"), ("Oscar", "Nielsen"), ("Isabel", "García"), ("Felix", "Weber"), ("Ava", "Taylor"),
    ("Leo", "Andersson"), ("Clara", "Fischer"), ("Hugo", "Lefèvre"), ("Ella", "Walsh"), ("Max", "Hofer"),
    ("Lena", "Bauer"), ("Jack", "Wilson"), ("Alice", "Moreau"), ("Matteo", "Bianchi"),
]  # fmt: skip


ACME_TOPICS = ["Annual licence", "Onboarding", "Support plan", "Pilot project"]


def _populate_acme(now: datetime) -> dict[str, int]:
    rng = random.Random(SEED + 1)  # noqa: S311 — demo data, not security
    admin = User.objects.get(email="admin@demo.test")
    manager = _user("sales@acme.test", "Sam Carter", password=DEMO_PASSWORD)
    account = account_create(
        name="Acme Europe Ltd", slug="acme", currency="EUR", language="en", owner=admin, time_zone="Europe/London"
    )
    _member(account, manager, Role.MEMBER)
    owners = [admin, manager]
    companies = []
    for index, (name, city, postal_code) in enumerate(ACME_COMPANIES):
        created = now - timedelta(days=rng.uniform(60, 400))
        domain = _domain_slug(name.split()[0]) + ".example"
        companies.append(
            Company(
                account=account,
                name=name,
                website=f"https://www.{domain}",
                email=f"hello@{domain}",
                phone=f"+44 20 7946 {index:04d}",
                street=f"{rng.randint(1, 99)} High Street",
                postal_code=postal_code,
                city=city,
                country="",
                owner=owners[index % 2],
                created_by=admin,
                created_at=created,
                updated_at=created,
            )
        )
    companies = Company.unscoped.bulk_create(_with_keys(companies))
    persons = []
    for index, (first, last) in enumerate(ACME_PEOPLE):
        company = companies[index % len(companies)]
        created = company.created_at + timedelta(days=rng.uniform(0, 30))
        persons.append(
            Person(
                account=account,
                first_name=first,
                last_name=last,
                email=f"{_domain_slug(first)}.{_domain_slug(last)}@{company.email.partition('@')[2]}",
                position=rng.choice(["CEO", "Head of Purchasing", "Operations Manager", "CFO", "Buyer"]),
                company=company,
                owner=company.owner,
                created_by=admin,
                created_at=created,
                updated_at=created,
            )
        )
    persons = Person.unscoped.bulk_create(_with_keys(persons))
    deals = []
    today = timezone.localdate(now)
    for index in range(40):
        person = persons[index % len(persons)]
        employer = person.company
        assert employer is not None  # noqa: S101 — every acme person works for a company
        created = max(person.created_at, now - timedelta(days=rng.uniform(1, 360)))
        closes = timezone.localdate(created) + timedelta(days=rng.randint(10, 90))
        status, closed_at, lost_reason = DealStatus.OPEN, None, ""
        if closes <= today:
            status = DealStatus.WON if rng.random() < 0.45 else DealStatus.LOST
            closed_at = closes
            lost_reason = "Budget frozen" if status == DealStatus.LOST else ""
        deals.append(
            Deal(
                account=account,
                name=f"{rng.choice(ACME_TOPICS)} {DASH} {employer.name}",
                value=Decimal(rng.randrange(2_000, 60_000, 250)).quantize(Decimal("0.01")),
                currency=rng.choice(["EUR", "EUR", "EUR", "GBP"]),
                status=status,
                closed_at=closed_at,
                expected_close_date=closes if status == DealStatus.OPEN else None,
                lost_reason=lost_reason,
                company=employer,
                person=person,
                owner=person.owner,
                created_by=admin,
                created_at=created,
                updated_at=created,
            )
        )
    Deal.unscoped.bulk_create(_with_keys(deals))
    _rates(account, admin)
    return {"acme companies": len(companies), "acme persons": len(persons), "acme deals": len(deals)}


def demo_data_load(*, now: datetime | None = None) -> DemoResult:
    """Create the demo accounts unless they exist; a second run changes nothing."""
    if Account.objects.filter(slug__in=["demo", "acme"]).exists():
        # A database from before addresses were confirmed: the printed logins must still work.
        User.objects.filter(email__in=DEMO_LOGINS, email_confirmed_at=None).update(email_confirmed_at=timezone.now())
        return DemoResult(created=False)
    now = now or timezone.now()
    with transaction.atomic():
        counts = _populate_demo(now)
        counts.update(_populate_acme(now))
    return DemoResult(created=True, counts=counts)
