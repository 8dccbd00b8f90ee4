"""The hostile corpus, and a form encoder that can send what Django's test client refuses to (lone surrogates)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from django.test import Client
from django.utils.html import escape

from headwater.core.text import normalise_spaces
from tests.trust import figures

HOSTILE: dict[str, str] = {
    "script": "<script>alert('xss')</script>",
    "img": '<img src=x onerror="alert(1)">',
    "attr_double": 'x" onmouseover="alert(1)',
    "attr_single": "x' onmouseover='alert(1)",
    "textarea": "</textarea><script>alert(1)</script>",
    "javascript_url": "javascript:alert(document.cookie)",
    "template": "{{ 7|add:7 }}{% now 'Y' %}",
    "sql": "'; DROP TABLE companies_company; --",
    "csv_formula": '=HYPERLINK("http://evil.example","x")',
    "rtl_override": "invoice\u202egnp.exe",
    "zero_width": "zero\u200bwidth\u200dsplit\ufeff",
    "combining": "Ze\u0301\u0301\u0301\u0308\u0308bra",
    "emoji": "Rocket \U0001f680 family \U0001f468\u200d\U0001f469\u200d\U0001f467",
    "nul": "before\x00after",
    "control": "bell\x07ring",
    "lone_surrogate": "half\ud800pair",
    "long": "L" * 10_000,
    "whitespace": "   \t  ",
    "newlines": "line 1\r\nline 2\n",
    "percent": "100% _under_ \\back",
}

# Values the database cannot store, or that nobody types on purpose: these must be refused with an error.
MUST_REFUSE = {"nul", "control", "lone_surrogate"}
# Names (core.text.clean_name) also refuse invisible format characters: zero-width ones (the family emoji is
# joined by zero-width joiners) and text-direction overrides. Their whitespace is normalised, not kept as typed.
NAME_FIELDS = {
    "name",
    "first_name",
    "last_name",
    "full_name",
    "account_name",
    "token-name",
    "text",
    "alias-text",
    "alias-edit-text",
}
MUST_REFUSE_IN_NAMES = MUST_REFUSE | {"rtl_override", "zero_width", "emoji"}
DANGEROUS_MARKUP = ("<script", "onmouseover=", "onerror=", "</textarea>")


def encode_form(data: dict[str, Any]) -> bytes:
    """application/x-www-form-urlencoded, passing lone surrogates through as their raw UTF-8 bytes."""
    parts = []
    for key, value in data.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            encoded = str(item).encode("utf-8", "surrogatepass")
            parts.append(f"{quote_plus(key)}={quote_plus(encoded)}")
    return "&".join(parts).encode("ascii")


def post_form(client: Client, url: str, data: dict[str, Any], **extra: Any) -> Any:
    figures.count("requests")
    return client.generic("POST", url, encode_form(data), content_type="application/x-www-form-urlencoded", **extra)


def rendered_safely(html: str) -> list[str]:
    """Problems with how a page shows hostile text: markup from the data that was not escaped."""
    problems = []
    lowered = html.lower()
    for name, value in HOSTILE.items():
        if any(mark in value.lower() for mark in DANGEROUS_MARKUP) and value.lower() in lowered:
            problems.append(f"{name} appears unescaped")
    if 'href="javascript:' in lowered.replace(" ", "") or "href='javascript:" in lowered.replace(" ", ""):
        problems.append("a javascript: URL became a link")
    return problems


def shown_as_typed(html: str, value: str) -> bool:
    """The value (or its trimmed form) is in the page, escaped the way Django's templates escape."""
    if not value.strip():
        return True  # whitespace alone is trimmed to nothing: there is nothing to show
    candidates = {value, value.strip(), value.replace("\r\n", "\n"), value.strip().replace("\r\n", "\n")}
    candidates.add(normalise_spaces(value))
    return any(escape(c) in html for c in candidates if c)
