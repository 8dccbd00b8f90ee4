"""`{% load field_errors %}{% field_errors field %}`: a form field's error container, written in Python.

The same HTML as the template `includes/_field_errors.html` was: `<div id="<id>_error">` around `<div
id="<id>-errors">` and a `<p class="field__error" role="alert">` per error, empty when there is none (the
container stays, for htmx to swap errors into); with `oob=True` the inner `<div>` alone, marked for htmx's
out-of-band swap. A list page has fourteen of them (its filter bar and bulk change form): through `{% include %}`
they cost about 1 ms of its CPU time, here a tenth of that (docs/performance.md, "Shorter rows").
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(name="field_errors")
def field_errors(field: Any, *, oob: bool = False) -> SafeString:
    """`field`: a bound field (`{{ form.name }}`)."""
    auto_id = conditional_escape(field.auto_id)
    errors = "".join(f'<p class="field__error" role="alert">{conditional_escape(e)}</p>' for e in field.errors)
    if oob:
        return SafeString(f'<div id="{auto_id}-errors" hx-swap-oob="true">{errors}</div>\n')
    return SafeString(f'<div id="{auto_id}_error"><div id="{auto_id}-errors">{errors}</div></div>\n')
