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

from html import escape
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.choices import normalize_choices
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
    if type(value) is str:
        # What Django's `escape` makes of a plain `str` (`html.escape`), without its checks for lazy and safe text:
        # a page's widgets write a few hundred names, values and attributes.
        return escape(value)
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


def _text(value: Any) -> str:
    """`html_text` for a choice's value or label: a plain `str` (most of them) straight through `html.escape`, which
    is what Django's `escape` calls."""
    return escape(value) if type(value) is str else html_text(value)


def _option(value: Any, label: Any, selected: bool) -> str:
    """django/forms/widgets/select_option.html; it ends with a newline, hence the empty line between options."""
    mark = " selected" if selected else ""
    return f'\n  <option value="{_text(value)}"{mark}>{_text(label)}</option>\n'


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


class ChoiceSelect(forms.Select):
    """A single `<select>` of flat text choices (a list's filters, a bulk change's values), written straight from
    its choices.

    Django builds a context per option (a dict, its attributes, the option template's name) before any renderer
    sees it: ~200 options a deal list page between its filter bar and its bulk change form. This writes what
    `WidgetRenderer` writes for that context, without it; anything else (option groups, a label that is not text,
    another renderer or template) goes through `forms.Select`. `core/tests/test_widgets.py` compares the two.
    """

    @property
    def choices(self) -> Any:
        return self._choices

    @choices.setter
    def choices(self, value: Any) -> None:
        self._choices = plain_choices(value)

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        if isinstance(renderer, WidgetRenderer) and not self.allow_multiple_selected and self._plain_templates():
            html = self._written(name, value, attrs)
            if html is not None:
                return SafeString(html)
        return super().render(name, value, attrs, renderer)

    def _plain_templates(self) -> bool:
        return self.template_name == _SELECT_TEMPLATE and self.option_template_name == _OPTION_TEMPLATE

    def _written(self, name: str, value: Any, attrs: dict[str, Any] | None) -> str | None:
        values = self.format_value(value)
        parts = [f'<select name="{html_text(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>']
        chosen = False
        for option_value, label in self.choices:
            if isinstance(label, list | tuple) or not isinstance(label, str | Promise):
                return None  # a group, or a number or date the template would localize
            shown = "" if option_value is None else option_value
            selected = not chosen and str(shown) in values
            chosen |= selected
            parts.append(_option(shown, label, selected))
        parts.append("\n</select>")
        return "".join(parts)


def plain_choices(value: Any) -> Any:
    """`normalize_choices(value)`, which a list of (value, text) pairs is already: then a copy of it as it is.

    Django normalizes a field's choices when they are set, again in its widget's setter, and again on each copy
    of the widget (a form copies its fields): each label through a `match` of abstract classes, ~320 times for a
    deal list page's filter bar and bulk form (0.3-0.5 ms). A pair whose label is text (`str`, a lazy translation)
    comes out of it the same, so such a list is copied and nothing else; anything else is normalized by Django.
    """
    if type(value) is list and all(
        type(choice) is tuple and len(choice) == 2 and isinstance(choice[1], str | Promise) for choice in value
    ):
        return list(value)
    return normalize_choices(value)


class TextChoiceField(forms.ChoiceField):
    """A `ChoiceField` of (value, text) choices, shown with `ChoiceSelect` by default, whose choices are normalized
    only when they are not that already (`plain_choices`)."""

    widget = ChoiceSelect

    @property
    def choices(self) -> Any:
        return self._choices

    @choices.setter
    def choices(self, value: Any) -> None:
        # As Django's: the field's choices are the widget's too (a choice widget: the stubs type it as any widget).
        widget: Any = self.widget
        self._choices = widget.choices = plain_choices(value)


class DateInput(forms.DateInput):
    """Every form's date field: the browser's date picker, its value always ISO (YYYY-MM-DD) in any language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
