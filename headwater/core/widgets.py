"""Form widgets that write their HTML in Python, exactly as Django's default widget templates write it.

Django renders each widget through its templates: a date input is three template renders (date.html includes
input.html includes attrs.html) and a select one more per option. The four filter widgets of the statistics page
took ~2 ms, a tenth of the page's fixed cost. These widgets build the same HTML from the same widget context, so
ids, values, `aria-invalid` and every other attribute Django computes stay Django's; anything the default
templates would not have rendered (another template, another form renderer) still goes through the templates.
`core/tests/test_widgets.py` renders each case both ways and compares.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html" for name in ("input", "text", "date", "number", "checkbox", "hidden")
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
            # The option template ends with a newline, hence the empty line between options.
            label = option["label"]
            if not isinstance(label, str | Promise):
                return None  # the template would localize a number or a date
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


class InlineRendered(forms.Widget):
    """Mix in before a Django widget class to render it without templates (see the module's docstring)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        if renderer is None or type(renderer) is DjangoTemplates:
            html = widget_html(self.template_name, self.get_context(name, value, attrs)["widget"])
            if html is not None:
                return SafeString(html)  # every inserted text escaped above
        return super().render(name, value, attrs, renderer)


class DateInput(InlineRendered, forms.DateInput):
    """Every form's date field: the browser's date picker, its value always ISO (YYYY-MM-DD) in any language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class Select(InlineRendered, forms.Select):
    pass


class CheckboxInput(InlineRendered, forms.CheckboxInput):
    pass
