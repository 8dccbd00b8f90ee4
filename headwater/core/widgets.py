"""Form widgets shared by every app, and the form renderer that writes the common widgets' HTML in Python.

Django renders each widget through its templates: a text input is three template renders (text.html includes
input.html includes attrs.html) and a select one more per option. A record list's filter bar and bulk change form
are a dozen widgets with ~40 options: through the templates they took about a third of the deal list page's CPU at
a million deals (docs/performance.md, "List pages at a million deals"). `WidgetRenderer` (settings.FORM_RENDERER)
builds the same HTML for Django's own input, select and option templates from the same widget context, so ids,
values, `aria-invalid` and every other attribute Django computes stay Django's; any other template (a form's
layout, a widget with a template of its own, a label that is not text) goes through the templates as before.
`core/tests/test_widgets.py` renders each case both ways and compares, for hostile values.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "date", "number", "checkbox", "hidden", "email", "search", "tel", "url", "password")
)
_SELECT_TEMPLATE = "django/forms/widgets/select.html"
_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def html_text(value: Any) -> str:
    """`{{ value }}` under autoescaping: safe HTML as it is, anything else as escaped text."""
    return str(conditional_escape(value if hasattr(value, "__html__") else str(value)))


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {html_text(name)}" if value is True else f' {html_text(name)}="{html_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{html_text(widget["value"])}"'
    kind, name = html_text(widget["type"]), html_text(widget["name"])
    return f'<input type="{kind}" name="{name}"{value}{_attrs(widget["attrs"])}>'


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{html_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{html_text(group_name)}">')
        for option in options:
            if option["template_name"] != _OPTION_TEMPLATE:
                return None
            label = option["label"]
            if not isinstance(label, str | Promise):
                return None  # the template would localize a number or a date
            # The option template ends with a newline, hence the empty line between options.
            parts.append(f'\n  <option value="{html_text(option["value"])}"{_attrs(option["attrs"])}>')
            parts.append(f"{html_text(label)}</option>\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def widget_html(template_name: str, widget: dict[str, Any]) -> str | None:
    """What Django's default template `template_name` renders for this widget context; None for other templates."""
    if template_name in _INPUT_TEMPLATES:
        return _input(widget)
    if template_name == _SELECT_TEMPLATE:
        return _select(widget)
    return None


class WidgetRenderer(DjangoTemplates):
    """Django's default form renderer, except that Django's input and select widgets are written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if isinstance(widget, dict):
            html = widget_html(template_name, widget)
            if html is not None:
                return SafeString(html)  # every inserted text escaped above
        return super().render(template_name, context, request)


class DateInput(forms.DateInput):
    """Every form's date field: the browser's date picker, its value always ISO (YYYY-MM-DD) in any language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
