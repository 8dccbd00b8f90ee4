"""Form widgets shared by every app, rendered by Django's own widget templates."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """Every form's date field: the browser's date picker, its value always ISO (YYYY-MM-DD) in any language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
