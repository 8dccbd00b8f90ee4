from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from headwater.core.widgets import DateInput


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_date_is_the_browsers_date_picker_with_an_iso_value_in_any_language(language):
    with translation.override(language):
        html = DateInput(attrs={"id": "id_start"}).render("start", dt.date(2026, 2, 1))
    assert html == '<input type="date" name="start" value="2026-02-01" id="id_start">'
