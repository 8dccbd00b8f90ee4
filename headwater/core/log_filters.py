"""Logging filters named in the LOGGING setting."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Keep `django.request`'s line about a 4xx answer, drop the traceback it attaches.

    Django logs a refused request ("Forbidden (Permission denied): /a/x/settings/") with the exception that made
    it, so every 403 printed a stack trace although nothing failed. Server errors (5xx) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
