"""`fold` of a text of characters that fold one by one (`str.translate`) is the full fold (NFKC, casefold, the
marks dropped, NFKC again)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from headwater.core import text

_PATTERN, _TABLE = text._fold_by_character()
_CHARACTERS = sorted(map(chr, _TABLE))


def test_every_pair_of_characters_folding_one_by_one_folds_as_the_full_fold():
    """No two of them compose, reorder or fold otherwise side by side; each alone folds to ASCII."""
    for first in _CHARACTERS:
        assert _TABLE[ord(first)].isascii()
        for second in _CHARACTERS:
            pair = first + second
            assert _PATTERN.fullmatch(pair)
            assert text.fold.__wrapped__(pair) == text._full_fold(pair), pair


@given(value=st.text(st.sampled_from(_CHARACTERS), max_size=40))
def test_texts_of_them_fold_as_the_full_fold(value):
    assert text.fold.__wrapped__(value) == text._full_fold(value)


@given(value=st.text(max_size=20))
def test_any_text_folds_as_the_full_fold(value):
    """Texts with any other character take the full fold: the same answer either way."""
    assert text.fold.__wrapped__(value) == text._full_fold(value)


def test_polish_names():
    assert text.fold("Łódź Wiśniewska-Żółć") == "lodz wisniewska-zolc"
    assert text.fold("Straße\u00a0ﬁ") == text._full_fold("Straße\u00a0ﬁ")
