"""`{% load bidi %}`: `{{ name|bdi }}` in element content, `{{ name|isolate }}` where only text may go."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from headwater.core import bidi as core_bidi

register = template.Library()


@register.filter(name="bdi")
def bdi(value: Any) -> SafeString:
    return core_bidi.bdi(value)


@register.filter(name="isolate")
def isolate(value: Any) -> str:
    return core_bidi.isolate(value)


@register.filter(name="bdi_list")
def bdi_list(values: Any) -> SafeString:
    """Names joined with ", ", each in its own `<bdi>`."""
    return SafeString(", ".join(core_bidi.bdi(value) for value in values or ()))
