from django.db import migrations

from headwater.records.search import fill_operation


class Migration(migrations.Migration):
    """A company's REGON is searched like its tax ID: every key is recomputed (those without a REGON stay)."""

    dependencies = [
        ("companies", "0012_company_campaign"),
    ]

    operations = [
        migrations.RunPython(
            fill_operation("companies", "company", "company"), migrations.RunPython.noop, elidable=True
        ),
    ]
