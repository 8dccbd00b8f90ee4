from __future__ import annotations

import pytest

from headwater.core.record_forms import parse_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        (5, 5),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),  # past a 64-bit id
        ("¹", None),  # superscript one: str.isdigit() says yes, int() refuses
        ("٣", None),  # Arabic-Indic three: int() would take it, an id is ASCII
        ("-1", None),
        ("1.0", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_id_takes_ascii_digits_only(raw, expected):
    assert parse_id(raw) == expected
