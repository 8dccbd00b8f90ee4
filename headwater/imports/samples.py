"""The template file's columns: one per field people import most, named as the wizard recognises them."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def template_columns() -> list[tuple[str, str]]:
    """(target key, the column's name in the current language)."""
    return [
        ("company.name", _("Company name")),
        ("company.tax_id", "NIP"),
        ("company.regon", "REGON"),
        ("company.website", _("Website")),
        ("company.city", _("City")),
        ("person.first_name", _("First name")),
        ("person.last_name", _("Last name")),
        ("person.email", _("E-mail")),
        ("person.phone", _("Phone")),
        ("person.position", _("Position")),
        ("deal.name", _("Deal name")),
        ("deal.value", pgettext("import column", "Value")),
        ("deal.currency", _("Currency")),
        ("deal.status", _("Status")),
        ("owner", _("Owner")),
        ("source", pgettext("import column", "Source")),
    ]


def template_header() -> list[str]:
    return [name for _key, name in template_columns()]
