"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from headwater.core.gc_warm import FreezeWhenWarm

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = FreezeWhenWarm(get_wsgi_application())
