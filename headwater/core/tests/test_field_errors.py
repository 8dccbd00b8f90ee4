"""`{% field_errors %}` writes what the template `includes/_field_errors.html` wrote (kept here as the reference)."""

from __future__ import annotations

import pytest
from django import forms
from django.template import engines

# The template the tag replaces, as it was.
REFERENCE = (
    '{% if not oob %}<div id="{{ field.auto_id }}_error">{% endif %}<div id="{{ field.auto_id }}-errors"'
    '{% if oob %} hx-swap-oob="true"{% endif %}>{% for e in field.errors %}<p class="field__error" role="alert">'
    "{{ e }}</p>{% endfor %}</div>{% if not oob %}</div>{% endif %}\n"
)
HOSTILE = ['<script>alert("x")</script>', "a & b ' \" {{ x }}", "\u202eevil", "Żółw"]


class _Form(forms.Form):
    day = forms.CharField(required=False)
    name = forms.CharField()


@pytest.mark.parametrize("oob", [False, True])
@pytest.mark.parametrize("auto_id", ["id_%s", "bulk_%s", 'x"<%s'])
@pytest.mark.parametrize("errors", [[], HOSTILE[:1], HOSTILE])
def test_the_tag_writes_the_templates_html(oob: bool, auto_id: str, errors: list[str]) -> None:
    form = _Form({"day": "", "name": "n"}, auto_id=auto_id)
    assert form.is_valid()
    for message in errors:
        form.add_error("day", message)
    engine = engines["django"]
    for name in ("day", "name"):
        context = {"field": form[name], "oob": oob}
        expected = engine.from_string(REFERENCE).render(context)
        written = engine.from_string("{% load field_errors %}{% field_errors field oob=oob %}").render(context)
        assert written == expected
        assert "<script>" not in written
        assert written.count('role="alert"') == (len(errors) if name == "day" else 0)
