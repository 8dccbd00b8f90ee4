"""Model-level validation shared by every service, so the UI and the API refuse exactly the same input."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _

from headwater.core.errors import ValidationFailed
from headwater.core.text import text_problem


def validate_instance(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Run the model's field validation plus our text rules; raise ValidationFailed with every field's errors."""
    fields: dict[str, list[str]] = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(instance, field.attname)
            if isinstance(value, str):
                problem = text_problem(value)
                if problem:
                    fields.setdefault(field.name, []).append(problem)
    try:
        instance.full_clean(exclude=[*exclude, "account"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        for name, messages in exc.message_dict.items():
            key = "__all__" if name == NON_FIELD_ERRORS else name
            fields.setdefault(key, []).extend(messages)
    if fields:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=fields)


def parse_id(value: Any) -> int | None:
    """A positive database id from a query parameter, or None for anything else.

    ASCII digits only: `str.isdigit()` also accepts "¹" or "²", which `int()` refuses.
    """
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)
