"""The creation index with the close day after the creation instant: a close-day filter on a list sorted by
creation is tested in the index as it is walked (docs/performance.md, "Close-day filters in the creation index").
The new index is built before the old one goes, so the lists keep an index for their default sort throughout."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0012_deal_close_order_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(fields=["account", "created_at", "closed_at"], name="deal_account_created_close_idx"),
        ),
        migrations.RemoveIndex(
            model_name="deal",
            name="deal_account_created_idx",
        ),
    ]
