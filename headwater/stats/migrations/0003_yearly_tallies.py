from django.db import migrations, models

from headwater.stats import tally_sql


def install(apps, schema_editor):
    """The triggers with the year level, and the years of the records that exist, summed from their months."""
    vendor = schema_editor.connection.vendor
    year = (
        "make_date(extract(year FROM bucket)::int, 1, 1)" if vendor == "postgresql" else "substr(bucket, 1, 4) || '-01-01'"
    )
    with schema_editor.connection.cursor() as cursor:
        # Replacing the triggers locks the record tables until this transaction ends: no write falls between.
        for statement in tally_sql.trigger_sql(vendor):
            cursor.execute(statement)
        cursor.execute(
            f"INSERT INTO {tally_sql.TABLE} ({tally_sql.COLUMNS}) "
            f"SELECT account_id, owner_key, kind + {tally_sql.YEARLY}, {year}, source_key, currency, "
            "sum(n), sum(cents), sum(days), sum(dated) "
            f"FROM {tally_sql.TABLE} WHERE owner_key = -1 AND kind IN (1, 2, 3, 4, 5, 6, 7) "
            "GROUP BY account_id, owner_key, kind, 4, source_key, currency "
            "HAVING sum(n) <> 0 OR sum(cents) <> 0 OR sum(days) <> 0 OR sum(dated) <> 0"
        )
        if vendor == "postgresql":
            cursor.execute(f"ANALYZE {tally_sql.TABLE}")


class Migration(migrations.Migration):
    """Tallies of whole years for all owners: all time reads a few rows a year instead of a few hundred."""

    dependencies = [
        ("stats", "0002_source_tally"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sourcetally",
            name="kind",
            field=models.SmallIntegerField(
                choices=[
                    (1, "Company"),
                    (2, "Person"),
                    (3, "Open"),
                    (4, "Won"),
                    (5, "Lost"),
                    (6, "Won Undated"),
                    (7, "Lost Undated"),
                    (11, "Company Day"),
                    (12, "Person Day"),
                    (13, "Open Day"),
                    (14, "Won Day"),
                    (15, "Lost Day"),
                    (21, "Company Year"),
                    (22, "Person Year"),
                    (23, "Open Year"),
                    (24, "Won Year"),
                    (25, "Lost Year"),
                    (26, "Won Undated Year"),
                    (27, "Lost Undated Year"),
                ]
            ),
        ),
        migrations.RunPython(install),
    ]
