"""`manage.py demo_data`: load the demo accounts once (see headwater/demo/loader.py)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from headwater.demo.loader import DEMO_PASSWORD, demo_data_load


class Command(BaseCommand):
    help = "Create the demo accounts `demo` and `acme` with their users; does nothing when they exist."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = demo_data_load()
        if not result.created:
            self.stdout.write("Demo data is already there (accounts 'demo' and 'acme'); nothing changed.")
            return
        summary = ", ".join(f"{n} {what}" for what, n in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data created in {time.monotonic() - started:.1f} s: {summary}."))
        self.stdout.write(f"Users: admin@demo.test, member@demo.test, viewer@demo.test; password {DEMO_PASSWORD}")
