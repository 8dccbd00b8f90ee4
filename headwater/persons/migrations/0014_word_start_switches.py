from django.db import migrations

from headwater.records.word_starts import WordStartSwitches


class Migration(migrations.Migration):
    """The persons' word starts switched on by size and in batches (records/word_starts.py): the accounts' `ready`
    mark and the operators' choices. PostgreSQL only."""

    dependencies = [
        ("persons", "0013_word_starts"),
    ]

    operations = [
        WordStartSwitches(model_name="person"),
    ]
