from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_the_settings_use_it():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_loads_a_saved_session_in_one_query():
    saved = SessionStore()
    saved["answer"] = 42
    saved.save()
    loaded = SessionStore(saved.session_key)
    with CaptureQueriesContext(connection) as queries:
        assert loaded["answer"] == 42
    assert len(queries) == 1
    assert loaded.session_key == saved.session_key


def test_an_expired_or_unknown_session_loads_empty_and_forgets_its_key():
    saved = SessionStore()
    saved["answer"] = 42
    saved.save()
    Session.objects.filter(session_key=saved.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    for key in (saved.session_key, "no-such-session-key-0123456789", None):
        store = SessionStore(key)
        assert store.load() == {}
        assert store.session_key is None
