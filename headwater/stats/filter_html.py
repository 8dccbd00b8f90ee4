"""The Statistics filter toolbar's repetitive parts as HTML, built in Python (see tables.py for why).

Each function writes exactly what the template loop it replaced wrote, whitespace included, and escapes every
inserted text the way the template's `{{ }}` did (`conditional_escape` of the value as text).
"""

from __future__ import annotations

from typing import Any

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from headwater.stats.filters import Period
from headwater.stats.forms import StatsFilterForm

# Drawn by the template itself, beside the others: the period select carries each preset's days, the switch
# stands after the fields with its label behind it.
_OWN_MARKUP = ("period", "compare")


def _text(value: Any) -> str:
    """`{{ value }}` under autoescaping."""
    return str(conditional_escape(value if isinstance(value, str) else str(value)))


def period_options_html(form: StatsFilterForm, selected: str) -> SafeString:
    """The period select's options; each preset carries its days, which stats.js puts in the date inputs."""
    presets = form.preset_ranges()
    parts = []
    for value, label in Period.choices:
        days = presets.get(value)
        chosen = " selected" if value == selected else ""
        dates = f' data-start="{days.start.isoformat()}" data-end="{days.end.isoformat()}"' if days else ""
        parts.append(f'\n      <option value="{_text(value)}"{chosen}{dates}>{_text(label)}</option>\n      ')
    return SafeString("".join(parts))  # every inserted text escaped above (ISO dates need no escaping)


def other_fields_html(form: StatsFilterForm) -> SafeString:
    """Every field but the period and the switch: label, widget and errors."""
    parts = []
    for field in form:
        if field.name in _OWN_MARKUP:
            continue
        errors = field.errors
        state = " field--error" if errors else ""
        messages = "".join(f'<p class="field__error" role="alert">{_text(e)}</p>' for e in errors)
        parts.append(
            f'\n  <div class="field{state}">\n'
            f'    <label for="{_text(field.id_for_label)}">{_text(field.label)}</label>\n'
            f"    {_text(field)}\n"
            f"    {messages}\n"
            "  </div>\n  "
        )
    return SafeString("".join(parts))  # every inserted text escaped above
