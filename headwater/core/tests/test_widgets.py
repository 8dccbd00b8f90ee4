from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy

from headwater.core.widgets import CheckboxInput, DateInput, Select
from headwater.stats.forms import StatsFilterForm


class TemplateRenderer(DjangoTemplates):
    """Django's own renderer under another class: the widgets then go through Django's templates."""


HOSTILE = '<b onclick="x">&\''


def both_ways(widget: forms.Widget, name: str, value, attrs=None) -> tuple[str, str]:
    return widget.render(name, value, attrs), widget.render(name, value, attrs, renderer=TemplateRenderer())


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (DateInput(), None, {"id": "id_start"}),
        (DateInput(), dt.date(2026, 2, 1), {"id": "id_start", "aria-invalid": "true"}),
        (DateInput(attrs={"class": HOSTILE, "required": True, "disabled": False}), HOSTILE, {"maxlength": 10}),
        (CheckboxInput(), True, {"id": "id_compare"}),
        (CheckboxInput(), False, {"id": "id_compare"}),
        (Select(choices=[("", "Anyone"), ("none", "Unassigned"), (HOSTILE, HOSTILE), (7, 7)]), "", {"id": "x"}),
        (Select(choices=[("a", gettext_lazy("Owner")), ("b", "B")]), "b", {"aria-invalid": "true"}),
        (Select(choices=[("Group", [("1", "One"), ("2", "Two")]), ("3", "Three")]), "2", None),
        (Select(choices=[]), None, None),
    ],
)
def test_widgets_write_what_the_templates_write(widget, value, attrs):
    inline, templated = both_ways(widget, "field", value, attrs)
    assert inline == templated


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"period": "custom", "start": "2026-02-01", "end": "2026-01-01", "owner": "none", "compare": "on"},
        {"period": "custom", "start": HOSTILE, "owner": "99999"},
        {"owner_id": "none", "compare": "true"},
        {"owner_id": HOSTILE, "compare": HOSTILE},
    ],
)
def test_the_statistics_filter_renders_as_with_templates(tenant, data):
    inline = StatsFilterForm(data, account=tenant.account)
    templated = StatsFilterForm(data, account=tenant.account)
    templated.renderer = TemplateRenderer()
    for name in ("start", "end", "owner_id", "compare"):
        assert str(inline[name]) == str(templated[name])
