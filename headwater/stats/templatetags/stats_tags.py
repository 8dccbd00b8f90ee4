"""Template filters of the statistics pages (the tables' cells are built in stats/tables.py), and the page's filter
form and figures written in Python (`{% stats_filter_form %}`, `{% stats_sources_body %}`)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from html import escape
from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from headwater.stats.results import SourceInfo, source_label
from headwater.stats.sources_page import sources_body_html
from headwater.stats.tables import number

register = template.Library()


@register.filter
def label(source: SourceInfo) -> str:
    return source_label(source)


@register.filter
def money(value: Decimal | None) -> str:
    return "" if value is None else number(value, 2)


@register.filter
def percent(value: Decimal | None) -> str:
    return "" if value is None else number(value, 1)


_FORM_CLASSES = "toolbar stats-filters no-print"


def _esc(value: Any) -> str:
    """`{{ value }}` under autoescaping (the filter form's values: text, lazy labels, error messages)."""
    if type(value) is str:
        return escape(value)  # what Django's `escape` makes of a plain `str`, without its checks
    return str(conditional_escape(value))


def _errors(field: Any, errors: Iterable[Any]) -> str:
    """A field's error container, only when it has errors (the page's own markup, not `field_errors`')."""
    messages = "".join(f'<p class="field__error" role="alert">{_esc(e)}</p>' for e in errors)
    return f'<div id="{_esc(field.auto_id)}_error">{messages}</div>' if messages else ""


def _error_class(field: Any) -> str:
    return " field--error" if field.errors else ""


@register.simple_tag(takes_context=True)
def stats_filter_form(context: Any) -> SafeString:
    """The Statistics page's filter form: the same HTML, byte for byte, as the template it replaces
    (`stats/tests/reference_forms/_stats_filters.html`, which `test_stats_forms.py` renders for comparison), at a
    fraction of the template engine's cost (a lookup per variable, a node per tag). Every inserted text is escaped as
    `{{ }}` does; the widgets render themselves (core.widgets)."""
    form = context["form"]
    period = form["period"]
    page_errors = [*form.non_field_errors(), *(context.get("hidden_errors") or ())]
    errors = "".join(f"<p>{_esc(e)}</p>" for e in page_errors)
    filters = _esc(_("Filters"))
    parts = [
        f'<form method="get" class="{_FORM_CLASSES}" id="stats-filters" aria-label="{filters}" novalidate>\n',
        f'  <div class="form__errors" role="alert">{errors}</div>\n' if errors else "  \n",
        f'  <div class="field{_error_class(period)}">\n',
        f'    <label for="{_esc(period.id_for_label)}">{_esc(period.label)}</label>\n',
        f'    <select name="period" id="{_esc(period.id_for_label)}" class="js-stats-period">\n      ',
    ]
    for option in context.get("period_options") or ():
        selected = " selected" if option["selected"] else ""
        days = f' data-start="{_esc(option["start"])}" data-end="{_esc(option["end"])}"' if option["start"] else ""
        parts.append(
            f'\n      <option value="{_esc(option["value"])}"{selected}{days}>{_esc(option["label"])}</option>\n      '
        )
    parts += ["\n    </select>\n", f"    {_errors(period, period.errors)}\n", "  </div>\n  "]
    for field in form:
        if field.name in ("period", "compare") or field.is_hidden:
            continue
        parts.append(
            f'\n  <div class="field{_error_class(field)}">\n'
            f'    <label for="{_esc(field.id_for_label)}">{_esc(field.label)}</label>\n'
            f"    {_esc(str(field))}\n"
            f"    {_errors(field, field.errors)}\n"
            "  </div>\n  "
        )
    compare = form["compare"]
    parts += [
        f'\n  <div class="field field--check stats-filters__compare{_error_class(compare)}">\n',
        f'    {_esc(str(compare))} <label for="{_esc(compare.id_for_label)}">{_esc(compare.label)}</label>\n',
        f"    {_errors(compare, compare.errors)}\n",
        "  </div>\n  ",
    ]
    parts += [
        f'<input type="hidden" name="{_esc(name)}" value="{_esc(value)}">'
        for name, value in (context.get("sort_params") or {}).items()
    ]
    parts.append(f'\n  <button type="submit" class="button button--primary">{_esc(_("Show"))}</button>\n</form>')
    return SafeString("".join(parts))  # every inserted text escaped above


@register.simple_tag(takes_context=True)
def stats_sources_body(context: Any) -> SafeString:
    """Everything under the filter form when the page shows figures (stats/sources_page.py)."""
    return sources_body_html(context)
