"""Put the database back as the suite expects it after a test took the migrations back and forth."""

from __future__ import annotations

from django.db import connection

from headwater.capture import tally_sql as touch_tally_sql
from headwater.stats import campaign_tally_sql, close_tally_sql, cohort_sql, funnel_sql, tally_sql
from headwater.stats.services import tallies_rebuild


def tally_triggers_restored() -> None:
    """Every tally trigger created again and every tally recomputed.

    On SQLite, altering a record table rebuilds it (a new table, the old one dropped, the new one renamed), which
    drops the triggers on it; applying the migrations afresh creates them again in order, but taking them back to an
    early one and forward again (sources/tests/test_migrations.py) re-applies only part of them, in another order,
    and left the record tallies without triggers for the tests after it."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for module in (tally_sql, close_tally_sql, campaign_tally_sql, cohort_sql, funnel_sql, touch_tally_sql):
            for statement in module.trigger_sql(vendor):
                cursor.execute(statement)
    tallies_rebuild()
