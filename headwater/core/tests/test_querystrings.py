from __future__ import annotations

from django.http import QueryDict
from hypothesis import given
from hypothesis import strategies as st

from headwater.core.querystrings import QueryWith


def _django(query: QueryDict, param: str, value: str) -> str:
    copy = query.copy()
    copy[param] = value
    return copy.urlencode()


# Names and values with what a query string must encode: separators, spaces, non-ASCII, an empty text.
_TEXT = st.text(alphabet=st.sampled_from(list("ab_=&+ %?#/żé\u202e0")), max_size=6)


@given(
    pairs=st.lists(st.tuples(st.sampled_from(["period", "sort_open", "a b", "ż", "x"]) | _TEXT, _TEXT), max_size=8),
    param=st.sampled_from(["sort_open", "period", "ż", "trend_by"]),
    values=st.lists(_TEXT, min_size=1, max_size=4),
)
def test_each_link_is_the_query_django_writes_with_the_parameter_set(
    pairs: list[tuple[str, str]], param: str, values: list[str]
) -> None:
    query = QueryDict(mutable=True)
    for name, value in pairs:
        query.appendlist(name, value)
    with_param = QueryWith(query, param)
    for value in values:
        assert with_param(value) == _django(query, param, value)


def test_the_parameter_keeps_its_place_and_a_new_one_goes_last() -> None:
    query = QueryDict("period=last_90&sort_open=count&sort_open=value&compare=true")
    assert QueryWith(query, "sort_open")("-value") == "period=last_90&sort_open=-value&compare=true"
    assert QueryWith(query, "period")("all") == "period=all&sort_open=count&sort_open=value&compare=true"
    assert QueryWith(query, "trend_by")("a b&c") == (
        "period=last_90&sort_open=count&sort_open=value&compare=true&trend_by=a+b%26c"
    )
    assert QueryWith(QueryDict(""), "source")("ż") == "source=%C5%BC"
    assert QueryWith(QueryDict("source=1"), "source")("2") == "source=2"
    assert query.urlencode() == "period=last_90&sort_open=count&sort_open=value&compare=true"  # unchanged
