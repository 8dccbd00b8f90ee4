"""A throwaway record kind, installed only while its test runs (test_throwaway_kind.py): it proves a new kind is
found by everything that reaches the kinds through the registry or the models' metadata."""

from __future__ import annotations

from django.db import models

from headwater.records.models import CrmRecord


class Gadget(CrmRecord):
    name = models.CharField(max_length=200)
    # A link to another kind: a company's rename rewrites its key, a company's delete unlinks it.
    company = models.ForeignKey(
        "companies.Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="gadgets", db_index=False
    )

    class Meta(CrmRecord.Meta):
        # Importable before the app is installed: the test installs it for its own duration only.
        app_label = "gadgets"

    def __str__(self) -> str:
        return self.name
