from django.db import migrations

from headwater.records.search import fill_operation


class Migration(migrations.Migration):
    """Search keys lose their accents (core/search.fold): every stored key is recomputed, in batches by id."""

    dependencies = [
        ("companies", "0007_lean_list_indexes"),
    ]

    operations = [
        migrations.RunPython(fill_operation("companies", "company", "company"), migrations.RunPython.noop, elidable=True),
    ]
