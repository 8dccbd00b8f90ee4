"""The filter toolbar's parts built in Python write exactly what the template loops they replaced wrote."""

from __future__ import annotations

import pytest
from django.template import engines
from django.utils import translation

from headwater.stats.filter_html import other_fields_html, period_options_html
from headwater.stats.filters import Period
from headwater.stats.forms import StatsFilterForm

pytestmark = pytest.mark.django_db

# The template loops as they were in stats/sources.html (the fields loop now also skips the hidden tables' orders).
PERIOD_LOOP = """{% for o in period_options %}
      <option value="{{ o.value }}"{% if o.selected %} selected{% endif %}{% if o.start %} data-start="{{ o.start }}" data-end="{{ o.end }}"{% endif %}>{{ o.label }}</option>
      {% endfor %}"""  # noqa: E501 — the template line as it was
FIELDS_LOOP = """{% for field in form %}{% if field.name != "period" and field.name != "compare" and not field.is_hidden %}
  <div class="field{% if field.errors %} field--error{% endif %}">
    <label for="{{ field.id_for_label }}">{{ field.label }}</label>
    {{ field }}
    {% if field.errors %}<div id="{{ field.auto_id }}_error">{% for e in field.errors %}<p class="field__error" role="alert">{{ e }}</p>{% endfor %}</div>{% endif %}
  </div>
  {% endif %}{% endfor %}"""  # noqa: E501 — the template line


def period_options(form: StatsFilterForm, selected: str) -> list[dict[str, object]]:
    presets = form.preset_ranges()
    return [
        {
            "value": value,
            "label": label,
            "selected": value == selected,
            "start": presets[value].start.isoformat() if value in presets else "",
            "end": presets[value].end.isoformat() if value in presets else "",
        }
        for value, label in Period.choices
    ]


QUERIES = [
    {},
    {"period": "this_month", "compare": "on"},
    {"period": "custom", "start": "2025-02-10", "end": "2025-01-20"},
    {"period": "bogus", "start": "2025-13-01", "owner_id": "<b>"},
    {"period": "last_30", "start": "2025-01-01", "owner": "none"},
    {"owner_id": "none", "owner": "<b>", "compare": "maybe", "sort_open": "<b>"},
]


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("data", QUERIES)
def test_same_html_as_the_template_loops(tenant, language, data):
    engine = engines["django"]
    with translation.override(language):
        form = StatsFilterForm(data, account=tenant.account)
        selected = form.cleaned_data["period"] if form.is_valid() else data.get("period", "")
        expected_options = engine.from_string(PERIOD_LOOP).render({"period_options": period_options(form, selected)})
        assert period_options_html(form, selected) == expected_options
        assert other_fields_html(form) == engine.from_string(FIELDS_LOOP).render({"form": form})
