"""The close-day sort's index (newest first, open deals last) in place of the partial close-day index: it serves
the close-day filters as well (docs/performance.md, "The close-day drill-downs")."""

import headwater.core.indexes
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0011_deal_campaign"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='deal',
            name='deal_account_closed_idx',
        ),
        migrations.AddIndex(
            model_name='deal',
            index=headwater.core.indexes.NullsLowIndex(fields=['account', '-closed_at', '-id'], name='deal_account_close_order_idx'),
        ),
    ]
