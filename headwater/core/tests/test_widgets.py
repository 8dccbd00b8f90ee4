from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils import translation
from django.utils.choices import normalize_choices
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from headwater.core.widgets import ChoiceSelect, DateInput, TextChoiceField, WidgetRenderer, plain_choices


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_date_is_the_browsers_date_picker_with_an_iso_value_in_any_language(language):
    with translation.override(language):
        html = DateInput(attrs={"id": "id_start"}).render("start", dt.date(2026, 2, 1))
    assert html == '<input type="date" name="start" value="2026-02-01" id="id_start">'


# The widgets written in Python (core.widgets.WidgetRenderer, the project's form renderer) against Django's templates.

HOSTILE = '<b onclick="x">&\'\u202e'


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (DateInput(), None, {"id": "id_start"}),
        (DateInput(), dt.date(2026, 2, 1), {"id": "id_start", "aria-invalid": "true"}),
        (DateInput(attrs={"class": HOSTILE, "required": True, "disabled": False}), HOSTILE, {"maxlength": 10}),
        (forms.TextInput(), HOSTILE, {"id": "id_q", "placeholder": gettext_lazy("Owner")}),
        (forms.EmailInput(), "a&b@example.test", None),
        (forms.NumberInput(), 7, {"min": 0}),
        (forms.HiddenInput(), HOSTILE, None),
        (forms.CheckboxInput(), True, {"id": "id_compare"}),
        (forms.CheckboxInput(), False, {"id": "id_compare"}),
        (forms.Select(choices=[("", "Anyone"), ("none", "Unassigned"), (HOSTILE, HOSTILE), (7, 7)]), "", {"id": "x"}),
        (forms.Select(choices=[("a", gettext_lazy("Owner")), ("b", "B")]), "b", {"aria-invalid": "true"}),
        (forms.Select(choices=[("Group", [("1", "One"), ("2", "Two")]), ("3", "Three")]), "2", None),
        (forms.Select(choices=[]), None, None),
        (forms.SelectMultiple(choices=[("1", "One"), ("2", HOSTILE)]), ["2"], None),
        (forms.Textarea(), HOSTILE, None),
        (forms.RadioSelect(choices=[("1", "One"), ("2", HOSTILE)]), "2", {"id": "r"}),
    ],
)
@pytest.mark.parametrize("language", ["en", "pl"])
def test_widgets_write_what_the_templates_write(widget, value, attrs, language):
    with translation.override(language):
        python = widget.render("field", value, attrs, renderer=WidgetRenderer())
        templated = widget.render("field", value, attrs, renderer=DjangoTemplates())
    assert python == templated


def test_the_project_renders_widgets_in_python():
    assert isinstance(get_default_renderer(), WidgetRenderer)


@pytest.mark.parametrize(
    ("choices", "value", "attrs"),
    [
        ([("", "Anyone"), ("none", "Unassigned"), (HOSTILE, HOSTILE), ("7", gettext_lazy("Owner"))], "", {"id": "x"}),
        ([("", "Any"), ("3", HOSTILE), ("3", "again")], "3", {"id": "id_source", "aria-invalid": "true"}),
        ([(None, "None"), ("1", "One")], None, {"class": "js-autosubmit", "disabled": True}),
        ([("1", "One"), ("2", "Two")], HOSTILE, None),
        ([], None, None),
        ([("Group", [("1", "One")]), ("3", "Three")], "1", None),  # a group: Django's own path
        ([("1", 1), ("2", "Two")], "2", None),  # a number as label: Django's own path
    ],
)
@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_choice_select_writes_what_the_templates_write(choices, value, attrs, language):
    """core.widgets.ChoiceSelect writes its options from its choices, the same HTML as Django's templates (once
    selected, the first matching option only)."""
    with translation.override(language):
        python = ChoiceSelect(attrs={"data-x": HOSTILE}, choices=choices).render("f", value, attrs, WidgetRenderer())
        templated = forms.Select(attrs={"data-x": HOSTILE}, choices=choices).render(
            "f", value, attrs, DjangoTemplates()
        )
    assert python == templated
    assert python.count(" selected") <= 1


def _choice_cases() -> list[object]:
    return [
        [("", "Anyone"), ("none", "Unassigned"), (HOSTILE, HOSTILE), ("7", gettext_lazy("Owner"))],
        [("1", mark_safe("<b>One</b>")), (2, "Two"), (None, "None")],
        [],
        [("Group", [("1", "One")]), ("3", "Three")],
        [("1", 1), ("2", "Two")],
        [("1", "One", "extra")],
        [["1", "One"]],
        (("1", "One"), ("2", "Two")),
        {"1": "One", "Group": {"2": "Two"}},
        iter([("1", "One")]),
        lambda: [("1", "One")],
        "text",
    ]


@pytest.mark.parametrize("index", range(len(_choice_cases())))
def test_plain_choices_are_djangos_normalized_choices(index):
    """core.widgets.plain_choices skips Django's normalization only where it would give back the same pairs."""
    ours, djangos = plain_choices(_choice_cases()[index]), normalize_choices(_choice_cases()[index])
    if callable(djangos) or hasattr(djangos, "func"):  # a lazy iterator: compared by what it gives
        ours, djangos = list(ours), list(djangos)
    assert ours == djangos
    assert type(ours) is type(djangos)


def test_plain_choices_are_a_copy():
    given = [("1", "One")]
    kept = plain_choices(given)
    given.append(("2", "Two"))
    assert kept == [("1", "One")]


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_text_choice_field_is_a_choice_field_with_a_choice_select(language):
    """The same validation and the same HTML, through a form (its copies of the field and widget) and again after
    its choices change."""
    choices = [("", gettext_lazy("Owner")), ("3", HOSTILE), ("none", "Unassigned")]

    class Ours(forms.Form):
        f = TextChoiceField(required=False, choices=choices)

    class Djangos(forms.Form):
        f = forms.ChoiceField(required=False, choices=choices, widget=ChoiceSelect)

    with translation.override(language):
        for data in ({"f": "3"}, {"f": "9"}, {}, None):
            ours, djangos = Ours(data), Djangos(data)
            if data is not None:
                assert ours.is_valid() == djangos.is_valid()
                assert ours.errors == djangos.errors
            assert str(ours["f"]) == str(djangos["f"])
            ours.fields["f"].choices = djangos.fields["f"].choices = [*choices, ("4", "Four")]
            assert ours.fields["f"].widget.choices == djangos.fields["f"].widget.choices
            assert str(ours["f"]) == str(djangos["f"])
