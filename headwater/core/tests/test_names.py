"""The rule every typed name follows (core.text.clean_name), its uniqueness keys and the confusable skeleton."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwater.core import confusables
from headwater.core.errors import ValidationFailed
from headwater.core.text import clean_name, is_blank, name_key, name_look_key, name_problem, normalise_spaces

CYRILLIC_PARTNER = "\u0420\u0430rtner"  # Cyrillic capital er and small a, then Latin letters
CYRILLIC_BMW = "\u0412\u041cW"  # Cyrillic capital ve and em


def test_the_vendored_data_is_unicodes_file_unchanged():
    data = confusables.CONFUSABLES_FILE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == confusables.CONFUSABLES_SHA256
    assert f"# Version: {confusables.CONFUSABLES_VERSION}".encode() in data[:1000]
    assert b"UNICODE LICENSE V3" in (confusables.DATA_DIR / "LICENSE").read_bytes()
    assert len(confusables.prototypes()) > 6000


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("paypal", "p\u0430yp\u0430l"),  # Cyrillic small a
        ("Partner", CYRILLIC_PARTNER),
        ("Google", "Goog1e"),
        ("Google", "GoogIe"),
        ("BMW", CYRILLIC_BMW),
        ("rn", "m"),
        ("Web", "W\u0435b"),  # Cyrillic small ie
        ("Ads", "Ads\ufe0f"),  # a variation selector is default-ignorable
        ("Ads", "A\u200bds"),  # so is a zero-width space
    ],
)
def test_lookalikes_have_one_skeleton(left, right):
    assert confusables.skeleton(left) == confusables.skeleton(right)


@pytest.mark.parametrize(("left", "right"), [("Fail", "Fall"), ("Mail", "Mall"), ("vec", "\u0432ec"), ("i", "l")])
def test_different_looking_strings_keep_different_skeletons(left, right):
    assert confusables.skeleton(left) != confusables.skeleton(right)


def test_a_broken_data_line_is_an_error():
    with pytest.raises(ValueError, match=r"not a confusables\.txt data line"):
        confusables._parse("0041 MA # no separator\n")
    assert confusables._parse("# only a comment\n\n0430 ;\t0061 ;\tMA\t# a\n") == {"\u0430": "a"}


@pytest.mark.parametrize(
    ("text", "character"),
    [
        ("Facebook \u202eAds", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Part\u200bner", "U+200B ZERO WIDTH SPACE"),
        ("\u2066Ads\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("Ads\u200f", "U+200F RIGHT-TO-LEFT MARK"),
        ("\ufeffAds", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("Soft\u00adhyphen", "U+00AD SOFT HYPHEN"),
        ("bell\x07", "U+0007"),
        ("form\x0cfeed", "U+000C"),
        ("unit\x1fseparator", "U+001F"),
    ],
)
def test_invisible_and_control_characters_are_named_in_the_refusal(text, character):
    problem = name_problem(text)
    assert problem is not None
    assert character in problem
    with pytest.raises(ValidationFailed) as exc:
        clean_name(text, field="last_name")
    assert character in exc.value.fields["last_name"][0]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Strona  WWW ", "Strona WWW"),
        ("Strona\tWWW", "Strona WWW"),
        ("line 1\r\nline 2\n", "line 1 line 2"),
        ("Kraków\u00a0\u3000Centrum", "Kraków Centrum"),
        ("Zażółć gęślą jaźń", "Zażółć gęślą jaźń"),
        ("Ze\u0301bra \U0001f680", "Ze\u0301bra \U0001f680"),
        ("שלום עולם", "שלום עולם"),  # right-to-left letters are text, not controls
    ],
)
def test_whitespace_is_normalised_and_text_kept(typed, stored):
    assert clean_name(typed, field="name") == stored


def test_empty_names():
    assert clean_name(None, field="first_name") == ""
    assert clean_name("  ", field="first_name") == ""
    for blank in ("", " \t\n", "\u3164", "\ufe0f "):
        assert is_blank(blank)
        with pytest.raises(ValidationFailed) as exc:
            clean_name(blank, field="name", required="Enter the name.")
        assert exc.value.fields == {"name": ["Enter the name."]}
    with pytest.raises(ValidationFailed):
        clean_name(42, field="name")


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Strona  WWW", "Strona WWW"),
        ("Polecénie", "Polecenie"),
        ("TRADE FAIR", "Trade fair"),
        ("\uff27\uff4f\uff4f\uff47\uff4c\uff45", "Google"),
        (CYRILLIC_PARTNER, "Partner"),
        ("Łódź", "Lodz"),
        ("WEB 0", "web o"),
    ],
)
def test_names_that_count_as_the_same_share_the_name_key(left, right):
    assert name_key(left) == name_key(right)


@pytest.mark.parametrize(("left", "right"), [("GoogIe", "Google"), (CYRILLIC_BMW, "BMW")])
def test_lookalikes_in_one_case_only_share_the_look_key(left, right):
    # Folding first turns a capital I into i and a Cyrillic capital ve into a small ve, which look different.
    assert name_key(left) != name_key(right)
    assert name_look_key(left) == name_look_key(right)


@pytest.mark.parametrize(("left", "right"), [("Fail", "Fall"), ("Mail", "Mall"), ("Web 1", "Web 2"), ("Ola", "Ala")])
def test_different_names_keep_different_keys(left, right):
    assert name_key(left) != name_key(right)
    assert name_look_key(left) != name_look_key(right)


@given(st.text(max_size=60))
def test_the_keys_ignore_what_clean_name_changes(text):
    """A key is the same for the typed text and for the stored name, so a check before cleaning cannot differ."""
    if name_problem(text) is None:
        stored = normalise_spaces(text)
        assert name_key(stored) == name_key(text)
        assert name_look_key(stored) == name_look_key(text)
