from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import translation
from django.utils.formats import number_format
from django.utils.html import escape
from hypothesis import example, given
from hypothesis import strategies as st

from headwater.stats.filters import DateRange, StatsFilters
from headwater.stats.money import cents_text
from headwater.stats.results import TOTAL, ClosedRow, SourceInfo
from headwater.stats.tables import Cells, Links, NumberFormat

quantized = st.builds(
    lambda digits, places, negative: (
        Decimal(digits).scaleb(-places).copy_negate() if negative else Decimal(digits).scaleb(-places)
    ),
    st.one_of(st.integers(0, 10**16), st.integers(0, 10**201)),
    st.integers(0, 2),
    st.booleans(),
)


@given(
    value=st.one_of(st.integers(-(10**18), 10**18), quantized, st.decimals(allow_nan=False, allow_infinity=False)),
    places=st.integers(0, 2),
    language=st.sampled_from(["en", "pl"]),
)
@example(value=Decimal("-0.00"), places=2, language="en")
@example(value=Decimal("-0.004"), places=2, language="pl")
@example(value=Decimal("-0.5"), places=0, language="en")
@example(value=Decimal("1.239"), places=2, language="en")
@example(value=Decimal("5E+3"), places=1, language="pl")
@example(value=Decimal("1E+250"), places=2, language="en")
@example(value=Decimal("9" * 198 + ".99"), places=2, language="en")  # Django's scientific notation from 201 digits
@example(value=Decimal("9" * 197 + ".99"), places=2, language="pl")
@example(value=Decimal("-" + "1" * 199 + ".5"), places=1, language="en")
@example(value=Decimal("12.50"), places=1, language="en")
def test_number_format_writes_what_django_writes(value, places, language):
    with translation.override(language):
        expected = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
        assert NumberFormat()(value, places) == expected
        assert NumberFormat(html=True)(value, places) == escape(expected)


@given(cents=st.integers(-(10**18), 10**18), language=st.sampled_from(["en", "pl"]))
@example(cents=-5, language="pl")
@example(cents=0, language="en")
def test_whole_cents_are_written_as_their_decimal_value(cents, language):
    """The trend's tables write won values from whole cents (`NumberFormat.cents`): the text of the same value as a
    Decimal of two places, as Django writes it."""
    value = Decimal(cents).scaleb(-2)
    with translation.override(language):
        expected = number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
        assert NumberFormat().cents(cents) == expected
        assert NumberFormat(html=True).cents(cents) == escape(expected)
    assert cents_text(cents) == str(value)


@pytest.mark.parametrize(
    "filters",
    [
        StatsFilters(),
        StatsFilters(owner_id=7),
        StatsFilters(unowned=True, period=DateRange(dt.date(2025, 1, 1), dt.date(2025, 3, 31))),
    ],
)
def test_links_are_the_record_lists_with_the_same_parameters(filters):
    links = Links(account_slug="alpha", filters=filters)
    source = SourceInfo(id=12, name="Web")
    for kind, status in (("companies", ""), ("deals", "open"), ("deals", "won"), ("deals", "lost")):
        for row_source in (source, SourceInfo(id=None), TOTAL):
            params = {} if row_source.is_total else {"source": row_source.key}
            if filters.unowned or filters.owner_id:
                params["owner"] = "none" if filters.unowned else str(filters.owner_id)
            if status:
                params["status"] = status
            if filters.period:
                day = "closed" if status in ("won", "lost") else "created"
                params[f"{day}_from"] = filters.period.start.isoformat()
                params[f"{day}_to"] = filters.period.end.isoformat()
                if day == "closed":
                    # Deals closed in the period, newest close first: a range of the close-day index.
                    params["sort"] = "-closed"
            expected = f"/a/alpha/{kind}/?{urlencode(params)}"
            assert links.url(kind, row_source, status) == expected


def test_cells_escape_what_they_insert():
    with translation.override("en"):
        cells = Cells(Links(account_slug="alpha", filters=StatsFilters(owner_id=3)))
        hostile = SourceInfo(id=5, name='<b onclick="x">&\'', archived=True)
        row = ClosedRow(source=hostile, won_count=1234, won_value=Decimal("1000.50"))
        table = cells.table([row], ClosedRow(source=TOTAL), cells.closed)
    assert table.rows[0].header == (
        '<bdi>&lt;b onclick=&quot;x&quot;&gt;&amp;&#x27;</bdi> <span class="badge badge--archived">archived</span>'
    )
    assert '<a href="/a/alpha/deals/?source=5&amp;owner=3&amp;status=won">1,234</a>' in table.body
    assert '<td class="num">1,000.50</td>' in table.body
    assert table.foot.startswith('<tr class="stats-total"><th scope="row">Total</th>')
