"""E-mails to an address: through Django's e-mail API (`EMAIL_BACKEND`; the console in development, memory in tests).

Each message is a plain-text template pair under `users/emails/`: `<name>_subject.txt` and `<name>.txt`, written
in the language given (the reader's, when we know it).
"""

from __future__ import annotations

from typing import Any

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from headwater.core.errors import DomainError


class EmailNotSent(DomainError):
    """The mail server refused or could not be reached: the write that needed the e-mail is rolled back."""

    code = "email_not_sent"
    status = 503


def email_send(*, to: str, template: str, context: dict[str, Any], language: str) -> None:
    with translation.override(language):
        subject_text = render_to_string(f"users/emails/{template}_subject.txt", context)
        body = render_to_string(f"users/emails/{template}.txt", context)
        failed = _("The e-mail could not be sent. Nothing was changed; try again in a few minutes.")
    # A header cannot hold a line break (names may), and Django refuses one with BadHeaderError.
    subject = " ".join(subject_text.split())
    try:
        send_mail(subject, body, None, [to])
    except OSError as exc:  # smtplib's errors are OSErrors too
        raise EmailNotSent(failed) from exc
