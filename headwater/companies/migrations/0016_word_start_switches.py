from django.db import migrations

from headwater.records.word_starts import WordStartSwitches


class Migration(migrations.Migration):
    """The companies' word starts switched on by size and in batches (records/word_starts.py): the accounts' `ready`
    mark and the operators' choices. PostgreSQL only."""

    dependencies = [
        ("companies", "0015_word_starts"),
    ]

    operations = [
        WordStartSwitches(model_name="company"),
    ]
