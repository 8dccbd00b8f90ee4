"""What every log-in does, whichever page it happens on (log-in form, sign-up link, invitation link, tests); and what
the users app announces to the layers above it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import Signal, receiver
from django.http import HttpRequest

from headwater.core.middleware import session_start
from headwater.users.models import User

# Sent by `services.account_create` inside its transaction, once the account and its first admin exist, with
# `account=`: the apps above this one add what a new account starts with (sources: the starter catalogue) without
# this app importing them. A receiver's error undoes the whole creation.
account_created = Signal()


@receiver(user_logged_in, dispatch_uid="headwater.users.logged_in")
def on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None:
        return
    session_start(request)
    # The first log-in takes the language the user was reading in (their earlier choice, else the browser's).
    language = getattr(request, "LANGUAGE_CODE", "")
    if not user.language and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
