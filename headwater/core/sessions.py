"""Django's database sessions, with the lookup every request makes compiled once (core.compiled).

Building and compiling `Session.objects.get(session_key=..., expire_date__gt=now)` cost about three times what the
database took to answer it. The compiled query looks the key up; the expiry is compared here, the same condition.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from headwater.core.compiled import CompiledQuery

_SESSION: CompiledQuery[Session] = CompiledQuery(
    lambda session_key: Session.objects.filter(session_key=session_key), session_key=str
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        try:
            key = self.session_key
            found = _SESSION(session_key=key) if isinstance(key, str) else []
            if not found or not found[0].expire_date > timezone.now():
                raise Session.DoesNotExist
            return found[0]
        except (Session.DoesNotExist, SuspiciousOperation) as e:
            if isinstance(e, SuspiciousOperation):
                logger = logging.getLogger(f"django.security.{e.__class__.__name__}")
                logger.warning(str(e))
            self._session_key = None
            return None
