"""User text inside the page's own text, isolated so that its direction cannot spill into what surrounds it.

A name in Hebrew or Arabic, or one stored before names refused direction controls, is laid out by the Unicode
bidirectional algorithm together with the sentence around it: "Renamed “שלום” to “X”." can come out with its
quotes and words reordered, and a right-to-left override turns everything after it around. Isolating the name
makes the browser lay it out on its own, as one unit in the surrounding text.

- In HTML element content, `bdi(value)`, or `{{ value|bdi }}` in templates (`{% load bidi %}`): `<bdi>…</bdi>`,
  whose direction the browser takes from the text itself.
- Where only text can go (an `<option>`, the `<title>`, an attribute, a plain-text message), `isolate(value)`:
  FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE around the text, the plain-text form of `<bdi>`, added only
  when the text holds right-to-left letters or direction controls (left-to-right text needs none, and stays
  byte-for-byte what it was for everything that compares labels).
- A translated message with names in it, `with_names(message, name=...)`: the message escaped, each name in
  `<bdi>`; a safe string for the messages framework or a template.

Shared templates and helpers call these (record lists and details, history, the statistics table, pickers,
headers, messages), so a page does not wrap names one by one.
"""

from __future__ import annotations

import unicodedata
from html import escape
from typing import Any

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
# Bidirectional classes that can reorder the text around them: right-to-left letters, Arabic digits, explicit
# embeddings, overrides and isolates and their ends.
_REORDERING = frozenset({"R", "AL", "AN", "RLE", "LRE", "RLO", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"})


def bdi(value: Any) -> SafeString:
    """`value` as escaped text in a `<bdi>` element; nothing at all for an empty value."""
    if value is None or value == "":
        return SafeString("")
    if type(value) is str:
        # What `format_html` makes of a plain `str` (Django's `escape` is `html.escape`), at a tenth of its cost: a
        # Statistics page isolates a few hundred names.
        return SafeString(f"<bdi>{escape(value)}</bdi>")
    return format_html("<bdi>{}</bdi>", value)


def needs_isolation(text: str) -> bool:
    # ASCII holds no right-to-left letter and no direction control: most names are decided without a look at
    # each character (a list page asks for a few hundred option labels and names).
    return not text.isascii() and any(unicodedata.bidirectional(ch) in _REORDERING for ch in text)


def isolate(value: Any) -> str:
    """Plain text isolated with FSI ... PDI when it could reorder its surroundings; otherwise unchanged."""
    text = "" if value is None else str(value)
    if not needs_isolation(text):
        return text
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


def with_names(message: Any, **names: Any) -> SafeString:
    """A `%(name)s` message (already translated) as safe HTML: its own text escaped, each text value in `<bdi>`
    (numbers, for `%(count)d`, as they are)."""
    values = {key: value if isinstance(value, int) else bdi(value) for key, value in names.items()}
    return mark_safe(str(conditional_escape(str(message))) % values)  # noqa: S308 — every part is escaped above
