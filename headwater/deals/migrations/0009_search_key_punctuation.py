from django.db import migrations

from headwater.core.search import fill_operation


class Migration(migrations.Migration):
    """Search keys fold typographic dashes and quotes to ASCII and hold single spaces (core/search.py), so that
    a short search word finds the words after them: every stored key is recomputed, in batches by id."""

    dependencies = [
        ("deals", "0008_search_key_without_accents"),
    ]

    operations = [
        migrations.RunPython(fill_operation("deals", "deal", "deal"), migrations.RunPython.noop, elidable=True),
    ]
