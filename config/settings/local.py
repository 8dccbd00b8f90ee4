"""Development on a laptop: `make run` uses this module."""

from .base import *  # noqa: F403 — the settings split: this file is base plus its changes
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
# E-mails (sign-up links, invitations) are printed in the terminal that runs the server.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
