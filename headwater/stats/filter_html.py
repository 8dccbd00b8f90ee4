"""The Statistics filter toolbar's repetitive parts as HTML, built in Python (see tables.py for why).

Each function writes exactly what the template loop it replaced wrote, whitespace included, and escapes every
inserted text the way the template's `{{ }}` did (`core.widgets.html_text`).
"""

from __future__ import annotations

from django.utils.safestring import SafeString

from headwater.core.widgets import html_text
from headwater.stats.filters import Period
from headwater.stats.forms import StatsFilterForm

# Drawn by the template itself, beside the others: the period select carries each preset's days, the switch
# stands after the fields with its label behind it.
_OWN_MARKUP = ("period", "compare")


def period_options_html(form: StatsFilterForm, selected: str) -> SafeString:
    """The period select's options; each preset carries its days, which stats.js puts in the date inputs."""
    presets = form.preset_ranges()
    parts = []
    for value, label in Period.choices:
        days = presets.get(value)
        chosen = " selected" if value == selected else ""
        dates = f' data-start="{days.start.isoformat()}" data-end="{days.end.isoformat()}"' if days else ""
        parts.append(f'\n      <option value="{html_text(value)}"{chosen}{dates}>{html_text(label)}</option>\n      ')
    return SafeString("".join(parts))  # every inserted text escaped above (ISO dates need no escaping)


def other_fields_html(form: StatsFilterForm) -> SafeString:
    """Every field but the period, the switch and the hidden tables' orders: label, widget and errors."""
    parts = []
    for field in form:
        if field.name in _OWN_MARKUP or field.is_hidden:
            continue
        errors = field.errors
        state = " field--error" if errors else ""
        messages = "".join(f'<p class="field__error" role="alert">{html_text(e)}</p>' for e in errors)
        if errors:
            # Django's aria-describedby on the widget names this id.
            messages = f'<div id="{html_text(field.auto_id)}_error">{messages}</div>'
        parts.append(
            f'\n  <div class="field{state}">\n'
            f'    <label for="{html_text(field.id_for_label)}">{html_text(field.label)}</label>\n'
            f"    {html_text(field)}\n"
            f"    {messages}\n"
            "  </div>\n  "
        )
    return SafeString("".join(parts))  # every inserted text escaped above
