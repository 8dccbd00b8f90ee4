"""Value parsers: money, dates (per column), e-mail, phone, NIP, REGON, websites; round trips with hypothesis."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip

from headwater.imports import values
from headwater.imports.values import (
    AmbiguousDates,
    Money,
    ValueProblem,
    excel_serial_date,
    parse_date_column,
    parse_email,
    parse_money,
    parse_nip,
    parse_phone,
    parse_regon,
    website_domain,
)


@pytest.mark.parametrize(
    ("text", "money"),
    [
        ("1 234,50 zł", Money(Decimal("1234.50"), "PLN")),
        ("1,234.50 PLN", Money(Decimal("1234.50"), "PLN")),
        ("1234.5", Money(Decimal("1234.5"), None)),
        ("€ 99", Money(Decimal("99"), "EUR")),
        ("12 000", Money(Decimal("12000"), None)),
        ("12\u00a0000", Money(Decimal("12000"), None)),
        ("12\u202f000,00 zł", Money(Decimal("12000.00"), "PLN")),
        ("1.234.567,89 EUR", Money(Decimal("1234567.89"), "EUR")),
        ("$1,000", Money(Decimal("1000"), "USD")),
        ("USD 5", Money(Decimal("5"), "USD")),
        ("1'234.50 CHF", Money(Decimal("1234.50"), "CHF")),
        ("0,5", Money(Decimal("0.5"), None)),
        (1234, Money(Decimal("1234"), None)),
        (1234.5, Money(Decimal("1234.5"), None)),
    ],
)
def test_money(text, money):
    assert parse_money(text) == money


@pytest.mark.parametrize("text", ["", "abc", "12 zł 50", "1,2,3", "1.2.3,4.5", "--5", "zł"])
def test_not_money(text):
    with pytest.raises(ValueProblem):
        parse_money(text)


amounts = st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False, allow_infinity=False)


def _grouped(amount: Decimal, group: str, decimal_mark: str) -> str:
    whole, fraction = f"{amount:.2f}".split(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return group.join(groups) + decimal_mark + fraction


@given(
    amount=amounts,
    style=st.sampled_from([(" ", ","), ("\u00a0", ","), ("\u202f", ","), (".", ","), (",", "."), ("", "."), ("", ",")]),
    currency=st.sampled_from([("", None), (" zł", "PLN"), (" PLN", "PLN"), (" EUR", "EUR"), ("€ ", "EUR")]),
)
def test_money_round_trips_in_every_style(amount, style, currency):
    group, decimal_mark = style
    text = _grouped(amount, group, decimal_mark)
    sign, code = currency
    written = f"{sign}{text}" if sign.endswith(" ") and not sign.startswith(" ") else f"{text}{sign}"
    assert parse_money(written) == Money(amount, code)


def test_dates_in_three_formats():
    assert parse_date_column(["2026-03-01", "2026-12-31", ""]) == (
        "YYYY-MM-DD",
        [dt.date(2026, 3, 1), dt.date(2026, 12, 31), None],
    )
    assert parse_date_column(["01.03.2026"]) == ("DD.MM.YYYY", [dt.date(2026, 3, 1)])
    # One day over 12 decides the whole column.
    assert parse_date_column(["03/01/2026", "13/02/2026"])[1] == [dt.date(2026, 1, 3), dt.date(2026, 2, 13)]
    assert parse_date_column(["03/01/2026", "02/13/2026"])[1] == [dt.date(2026, 3, 1), dt.date(2026, 2, 13)]


def test_ambiguous_dates_ask_and_the_choice_decides():
    with pytest.raises(AmbiguousDates) as exc:
        parse_date_column(["03/01/2026", "04/02/2026"])
    assert exc.value.formats == ["DD/MM/YYYY", "MM/DD/YYYY"]
    assert "choose the column's format" in exc.value.message
    assert parse_date_column(["03/01/2026"], date_format="MM/DD/YYYY")[1] == [dt.date(2026, 3, 1)]


def test_a_column_no_format_reads_names_the_value():
    with pytest.raises(ValueProblem) as exc:
        parse_date_column(["2026-03-01", "2026-02-30", "jutro"])
    assert "“2026-02-30” (row 2 of the column) is not a date in the format YYYY-MM-DD" in exc.value.message


def test_excel_serial_dates_and_typed_dates():
    assert excel_serial_date(46082) == dt.date(2026, 3, 1)
    typed = dt.datetime(2026, 3, 2, 0, 0)  # noqa: DTZ001  # a workbook's cell holds no time zone
    assert parse_date_column([46082.0, typed, dt.date(2026, 3, 3)])[1] == [
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 3),
    ]
    with pytest.raises(ValueProblem):
        excel_serial_date(10**7)


@given(day=st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2999, 12, 31)))
def test_dates_round_trip(day):
    for name, pattern in (("YYYY-MM-DD", "%Y-%m-%d"), ("DD.MM.YYYY", "%d.%m.%Y")):
        assert parse_date_column([day.strftime(pattern)]) == (name, [day])
    serial = (day - dt.date(1899, 12, 30)).days
    assert excel_serial_date(serial) == day


def test_emails():
    assert parse_email(" Anna.Nowak@Firma.PL ") == "Anna.Nowak@firma.pl"
    assert parse_email("mailto:a@b.pl") == "a@b.pl"
    for bad in ("anna", "a@", "a@b", "a b@c.pl"):
        with pytest.raises(ValueProblem):
            parse_email(bad)


def test_phones():
    assert parse_phone("600 100 200") == "+48600100200"
    assert parse_phone("+48 (22) 123-45-67") == "+48221234567"
    assert parse_phone("030 1234567", region="DE") == "+49301234567"
    assert parse_phone(600100200) == "+48600100200"
    for bad in ("123", "abc", ""):
        with pytest.raises(ValueProblem):
            parse_phone(bad)


# The phone shortcut (values._shortcut_e164) against phonenumbers itself: every text of the shape it takes gives
# the same E.164 form, invalidity or parse failure; every other text is left to phonenumbers.
_PL_TEXTS = st.builds(
    lambda prefix, digits, separators: prefix + "".join(d + s for d, s in zip(digits, separators, strict=False)),
    st.sampled_from(["", "+48", "+48 ", "+48-"]),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.lists(st.sampled_from(["", "", " ", "-"]), min_size=8, max_size=8).map(lambda seps: [*seps, ""]),
)


@given(text=st.one_of(_PL_TEXTS, st.from_regex(values._PL_SHAPE, fullmatch=True)))
def test_the_phone_shortcut_is_phonenumbers_for_its_shape(text):
    shaped, found = values._shortcut_e164(text, "PL")
    assert shaped == bool(values._PL_SHAPE.fullmatch(text))
    if shaped:
        assert found == values._parsed_e164(text, "PL")


@given(text=st.text(alphabet="0123456789 +-()48", max_size=16), region=st.sampled_from(["PL", "DE"]))
def test_the_phone_shortcut_leaves_other_texts_to_phonenumbers(text, region):
    shaped, found = values._shortcut_e164(text, region)
    assert not shaped or found == values._parsed_e164(text, region)
    values._PHONES.clear()
    assert values._e164(text, region) == values._parsed_e164(text, region)


def test_the_phone_shortcut_over_every_prefix():
    """Every three-digit start of a national number (each number type of the metadata starts with its own), in
    both written forms: valid and invalid numbers alike are phonenumbers' answer."""
    for start in range(100, 1000):
        for rest in ("000000", "123456", "999999", f"{start * 997 % 1_000_000:06d}"):
            for text in (f"{start}{rest}", f"+48 {start} {rest[:3]} {rest[3:]}"):
                assert values._shortcut_e164(text, "PL") == (True, values._parsed_e164(text, "PL")), text


def _reference_nip(text):
    try:
        return nip.validate(re.sub(r"^PL", "", nip.compact(text).upper()))
    except StdnumError:
        return None


@given(text=st.one_of(st.text(alphabet="0123456789", min_size=10, max_size=10), st.text(max_size=12)))
def test_nip_shortcut_is_stdnum(text):
    try:
        found = parse_nip(text)
    except ValueProblem:
        found = None
    assert found == _reference_nip(text.strip())


def test_nip_and_regon():
    assert parse_nip("PL 526-000-12-46") == "5260001246"
    assert parse_nip("526 000 12 46") == "5260001246"
    assert parse_nip(5260001246) == "5260001246"
    with pytest.raises(ValueProblem, match="not a valid NIP"):
        parse_nip("5260001247")
    assert parse_regon("192598184") == "192598184"
    with pytest.raises(ValueProblem, match="not a valid REGON"):
        parse_regon("192598185")


def test_websites():
    assert website_domain("https://www.Acme.pl/kontakt?x=1") == "acme.pl"
    assert website_domain("acme.pl") == "acme.pl"
    assert website_domain("http://sklep.acme.com.pl:8080") == "sklep.acme.com.pl"
    for bad in ("", "acme", "http://", "not a site"):
        with pytest.raises(ValueProblem):
            website_domain(bad)


_EMAIL_TEXTS = st.one_of(
    st.emails(),
    st.text(max_size=12),
    st.builds(
        lambda user, domain: f"{user}@{domain}",
        st.text(alphabet='abc.-_+"\\ !#~ąé0', max_size=8),
        st.one_of(
            st.text(alphabet="abc.-ąé0[]:", max_size=10),
            st.sampled_from(["localhost", "[127.0.0.1]", "[::1]", "a.pl."]),
        ),
    ),
)


@given(text=_EMAIL_TEXTS)
def test_email_valid_is_djangos_validate_email(text):
    """The e-mail check with its patterns compiled here answers as Django's validate_email, for any text."""
    try:
        validate_email(text)
        expected = True
    except ValidationError:
        expected = False
    assert values.email_valid(text) is expected


_AMOUNT_TEXTS = st.lists(
    st.sampled_from(["1", "2", "0", "9", "45", "123", ",", ".", " ", "zł", "ZŁ", "zl", "PLN", "€", "-", "+", "\u00a0"]),
    max_size=8,
).map("".join)


@given(text=st.one_of(_AMOUNT_TEXTS, st.from_regex(values._PLAIN_AMOUNT, fullmatch=True)))
def test_the_money_shortcut_is_the_full_reading(text):
    """Amounts of the common shape ("12345,67 zł", "1234.5", "99") are read straight from their digits: the same
    amount, written the same (Decimal("1.50") is not shown as "1.5"), and currency as the full reading gives."""

    def read(reader):
        try:
            money = reader(text)
        except ValueProblem as exc:
            return exc.message
        return str(money.amount), money.currency

    assert read(parse_money) == read(values._money_of_text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.sampled_from(list(" \t\n\xa0\u2028ab1,ł")), max_size=8))
def test_a_text_cells_text_is_its_own_stripped(text):
    """The text parsers read a text cell as `str(cell).strip()`: its whitespace at both ends gone, any kind."""
    assert values._text(text) == str(text).strip()
