from django.db import migrations

from headwater.records.word_starts import WordStartTable


class Migration(migrations.Migration):
    """The companies' word-start table (records/word_starts.py): a two-character search in name order reads one
    index range (docs/performance.md, "Short words in name order: a word-start table of two characters").
    PostgreSQL only; empty: no account is switched on (`manage.py word_starts --enable --account N`)."""

    dependencies = [
        ("companies", "0014_search_index_by_account"),
    ]

    operations = [
        WordStartTable(model_name="company", columns=("name",)),
    ]
