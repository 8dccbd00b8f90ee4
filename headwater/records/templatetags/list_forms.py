"""`{% load list_forms %}`: the fields of a list page's filter bar and bulk change form, written in Python.

Each field is a `<div class="field">` with its label, its widget and its error container; the filter bar's search box
and its company and person pickers have markup of their own. Through the template engine (a loop, an `{% if %}`
chain and an `{% include %}` per picker, each label, id and translation looked up by the engine) the two forms'
fields took about 2 ms of a deal list page's CPU at a million deals; written here they take less than half
(docs/performance.md, "The filter bar, the bulk form and the headers written in Python"). Every inserted text goes
through `conditional_escape`, as `{{ }}` does; the widgets are still rendered by their own `render()`
(core.widgets).
`records/tests/test_list_forms.py` compares both tags with the templates they replace, for hostile values.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from headwater.core.templatetags.field_errors import field_errors

register = template.Library()


def _esc(value: Any) -> str:
    return str(conditional_escape(value))


def _field(field: Any, widget: str, *, grow: bool = False) -> str:
    """One field's block: label, widget, error container (the `<div class="field">` of both forms)."""
    classes = "field field--grow" if grow else "field"
    if field.errors:
        classes += " field--error"
    return (
        f'<div class="{classes}">\n<label for="{_esc(field.id_for_label)}">{_esc(field.label)}</label>\n'
        f"{widget}\n{field_errors(field)}</div>\n"
    )


def _search(field: Any, path: str) -> str:
    """The filter bar's search box: searches as the user types (htmx), the search rule as its description."""
    value = field.value()
    field_id = _esc(field.id_for_label)
    return (
        f'<input type="search" name="q" id="{field_id}" value="{"" if value is None else _esc(value)}" maxlength="200"'
        f' autocomplete="off" aria-describedby="{field_id}_helptext" hx-get="{path}"'
        ' hx-trigger="input changed delay:350ms, search" hx-target="#records" hx-swap="outerHTML" hx-push-url="true"'
        ' hx-include="closest form" hx-indicator="#list-loading">'
    )


def picker_html(field: Any) -> str:
    """includes/_picker.html without its Search button (a filter bar's pickers search with the Filter button)."""
    picker = field.field
    name = _esc(field.html_name)
    field_id = _esc(field.id_for_label)
    create = ""
    if picker.create_url:
        create = f' data-create-url="{_esc(picker.create_url)}" data-create-label="{_esc(picker.create_label)}"'
    search_label = _("Search: %(label)s") % {"label": _esc(field.label)}
    # As `{% translate %}` looks them up: its msgid has every "%" doubled, its answer has them single again.
    results = _("Matches: %%(count)s. Use the up and down arrows to choose.").replace("%%", "%")
    created = _("Created and chosen: %%(name)s.").replace("%%", "%")
    return (
        f'<div class="combobox" data-combobox data-lookup-url="{_esc(picker.lookup_url)}"'
        f' data-search-param="{name}_search"{create} data-no-results="{_esc(_("No matches."))}"'
        f' data-results="{_esc(results)}" data-created="{_esc(created)}">\n{field}\n<div class="combobox__fallback">\n'
        f'<label class="visually-hidden" for="{field_id}_search">{search_label}</label>\n'
        f'<input type="search" class="combobox__search" id="{field_id}_search" name="{name}_search"'
        f' value="{_esc(picker.search)}" autocomplete="off" placeholder="{_esc(_("Search…"))}">\n</div>\n</div>'
    )


@register.simple_tag(name="filter_fields")
def filter_fields(form: Any, path: str) -> SafeString:
    """The filter bar's fields: its hidden ones (the sort), then each visible one in its block."""
    path = _esc(path)
    parts = [str(field) for field in form.hidden_fields()]
    for field in form.visible_fields():
        if field.name == "q":
            parts.append(_field(field, _search(field, path), grow=True))
        elif getattr(field.field, "is_picker", False):
            parts.append(_field(field, picker_html(field)))
        else:
            parts.append(_field(field, str(field)))
    return SafeString("".join(parts))


@register.simple_tag(name="bulk_fields")
def bulk_fields(form: Any) -> SafeString:
    """The bulk change form's value pickers (its "every record matching" box has its own markup)."""
    return SafeString("".join(_field(f, str(f)) for f in form.visible_fields() if f.name != "all_matching"))
