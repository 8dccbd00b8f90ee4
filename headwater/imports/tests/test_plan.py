"""Reading a row (plan.plan_row): a column's parser keeps its answers by the cell's text, and answers as it would
without them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.imports import plan, reading
from headwater.testing.factories import make_import

pytestmark = pytest.mark.django_db

COLUMNS = (
    "Firma",
    "NIP",
    "REGON",
    "WWW",
    "Nazwisko",
    "E-mail",
    "Telefon",
    "Szansa",
    "Wartość",
    "Waluta",
    "Status",
    "Termin",
)
MAPPING = [
    "company.name",
    "company.tax_id",
    "company.regon",
    "company.website",
    "person.last_name",
    "person.email",
    "person.phone",
    "deal.name",
    "deal.value",
    "deal.currency",
    "deal.status",
    "deal.expected_close_date",
]
# A few values per column, valid and not, spelt in several ways: a file repeats them.
CELLS = (
    ["Acme", "Acme sp. z o.o.", "", "  Beta  "],
    ["5260001246", "526-000-12-46", "PL5260001246", "1234567890", "", "abc"],
    ["123456785", "123456789", ""],
    ["https://www.acme.pl/", "acme", "", "www.beta.com.pl"],
    ["Nowak", "", "Wiśniewska"],
    ["anna@acme.pl", "mailto:Anna@ACME.pl", "anna@", "", "a b@c.pl"],
    ["+48 600 100 200", "600100200", "123", "", "+49 30 901820"],
    ["Licencje", "", "Serwis"],
    ["1 234,50 zł", "100", "abc", "-5", "12,5", "€ 99", "", "0,50"],
    ["PLN", "eur", "XYZ", ""],
    ["won", "Wygrana", "otwarta", "maybe", ""],
    ["2026-03-01", "01.03.2026", "03/04/2026", "31.02.2026", "", "jutro"],
)


def _context(tenant, import_):
    return plan.context_for(account=tenant.account, import_=import_, default_owner_id=tenant.member.pk)


@pytest.fixture
def import_(tenant):
    found = make_import(
        tenant.account, tenant.member, content=(";".join(COLUMNS) + "\nAcme" + ";" * 11 + "\n").encode()
    )
    found.columns, found.mapping = list(COLUMNS), MAPPING
    found.save()
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(*(st.sampled_from(values) for values in CELLS)), min_size=1, max_size=30),
    kept=st.sampled_from([1, 3, plan.REMEMBERED]),
)
def test_remembered_answers_are_the_parsers_answers(tenant, import_, monkeypatch, rows, kept):
    """Every row read with the answers kept (a column's texts repeating, the store emptied when full) is the row
    read by parsers that have seen nothing: the same records, values (written the same) and problems."""
    monkeypatch.setattr(plan, "REMEMBERED", kept)
    remembering = _context(tenant, import_)
    for number, cells in enumerate(rows, start=2):
        row = reading.Row(number=number, cells=cells)
        assert repr(plan.plan_row(row, remembering)) == repr(plan.plan_row(row, _context(tenant, import_)))


def _answers(parse):
    return next(cell.cell_contents for cell in parse.__closure__ or () if isinstance(cell.cell_contents, dict))


def test_a_column_keeps_at_most_its_bound(monkeypatch):
    monkeypatch.setattr(plan, "REMEMBERED", 4)
    parse = plan._remembered(lambda raw, _text: str(raw).upper())
    answers = _answers(parse)
    for n in range(50):  # one text on every other row, a new one between: the column keeps remembering
        text = "v" if n % 2 else f"w{n}"
        assert parse(text, "") == text.upper()
        assert 0 < len(answers) <= 4


def test_a_column_of_texts_that_never_repeat_stops_keeping_them(monkeypatch):
    monkeypatch.setattr(plan, "REMEMBERED", 8)
    parse = plan._remembered(lambda raw, _text: str(raw).upper())
    answers = _answers(parse)
    for n in range(50):
        assert parse(f"v{n}", "") == f"V{n}"
    assert answers == {}


# Texts made of the pieces a cell's shortcut decides on: ASCII letters and single and double spaces, the other
# kinds of space and line break, NUL and other controls, Polish letters, and any character at all.
_CELL_PIECES = st.one_of(
    st.sampled_from(
        [
            " ",
            "  ",
            "a",
            "Z1",
            ";.-",
            "\t",
            "\n",
            "\r\n",
            "\x00",
            "\x0b",
            "\x1f",
            "\x85",
            "\xa0",
            "\u2007",
            "\u2028",
            "\u2029",
            "\u202f",
            "\u3000",
            "\u200b",
            "ąŁ",
            "\ufeff",
        ]
    ),
    st.characters(),
)


@settings(max_examples=1000, deadline=None)
@given(pieces=st.lists(_CELL_PIECES, max_size=8))
def test_a_cells_text_by_its_shortcut_is_its_text_in_full(pieces):
    """A printable cell without two spaces in a row is read by stripping its ends alone: the same text as the full
    reading (every run of whitespace one space, the ends trimmed, NUL dropped) gives for every text."""
    text = "".join(pieces)
    assert plan._cell_text(text) == plan._cell_text_in_full(text)
