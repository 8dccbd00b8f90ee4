from django.db import migrations

from headwater.core.migration_ops import account_dependencies
from headwater.records.search import fill_operation


class Migration(migrations.Migration):
    """Short search words match the start of a word (records/search.py).

    Search keys fold typographic dashes and quotes to ASCII and hold single spaces, so that the words after them
    are words too: every stored key is recomputed, in batches by id. And the planner learns that the id
    determines the account: a search reading its page among its matching ids (keyset_page's pin) then estimates
    those ids, not their share of the account's share, and reads the page in index order instead of joining
    every match to its owner and source by scanning both tables once per row.
    """

    dependencies = [
        ("companies", "0008_search_key_without_accents"),
    ]

    operations = [
        migrations.RunPython(
            fill_operation("companies", "company", "company"), migrations.RunPython.noop, elidable=True
        ),
        account_dependencies("companies_company", ("id",)),
    ]
