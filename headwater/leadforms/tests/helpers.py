"""Building forms and submitting them in tests."""

from __future__ import annotations

import time
from typing import Any

from django.core import signing

from headwater.leadforms.models import LeadForm
from headwater.leadforms.services import TOKEN_SALT

ORIGIN = "https://www.shop.example.pl"


def make_form(account: Any, **changes: Any) -> LeadForm:
    values: dict[str, Any] = {
        "name": "Contact us",
        "fields": {"first_name": "optional", "last_name": "required", "email": "required", "phone": "optional"},
        "allowed_origins": [ORIGIN],
        "thank_you": "Thanks, we will call you.",
        **changes,
    }
    return LeadForm.unscoped.create(account=account, **values)


def aged_token(form: LeadForm, seconds: float = 10) -> str:
    """A fill token as if the form had been shown `seconds` ago."""
    return signing.dumps({"f": form.pk, "t": int((time.time() - seconds) * 1000)}, salt=TOKEN_SALT, compress=False)


def answers(form: LeadForm, **values: Any) -> dict[str, Any]:
    return {"last_name": "Nowak", "email": "ola@example.pl", "hw_token": aged_token(form), **values}
