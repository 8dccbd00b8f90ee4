from django.db import migrations

from headwater.records.search import AccountTrigramIndex


class Migration(migrations.Migration):
    """The search key's trigram index leads with the account (records/search.AccountTrigramIndex): a search reads
    its own account's matches inside the index instead of every account's (docs/performance.md, "Searches inside
    the account's part of the trigram index"). Builds the new index, then drops the old one; writes to the table
    wait meanwhile (about 30 s for 5,000,000 deals here)."""

    dependencies = [
        ("persons", "0011_person_campaign"),
    ]

    operations = [
        AccountTrigramIndex(model_name="person", name="person_search_account_trgm", replaces="person_search_trgm"),
    ]
