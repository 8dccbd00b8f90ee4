"""Reading the e-mails tests send (Django's locmem backend keeps them in `django.core.mail.outbox`)."""

from __future__ import annotations

import re

from django.core import mail

_LINK = re.compile(r"https?://[^/\s]+(/\S*)")


def sent_to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if address in m.to]


def last_link(address: str) -> str:
    """The path of the last link e-mailed to `address` (what its owner would open)."""
    messages = sent_to(address)
    if not messages:
        raise AssertionError(f"no e-mail was sent to {address}")
    found = _LINK.findall(messages[-1].body)
    if not found:
        raise AssertionError(f"the last e-mail to {address} has no link")
    return str(found[0])
