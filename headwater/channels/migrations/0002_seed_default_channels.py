"""Every existing account gets the shipped list of channels, named in its language (new accounts get it when
created). Its sources stay without a channel: only an admin knows where each belongs."""

from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext

from headwater.core.text import name_key

# A copy, not an import: a migration must not change when the app's list does.
DEFAULT_CHANNELS = [
    ("paid_search", "Paid search"),
    ("paid_social", "Paid social"),
    ("organic_search", "Organic search"),
    ("organic_social", "Organic social"),
    ("email", "E-mail"),
    ("referral", "Referral"),
    ("events", "Events"),
    ("direct", "Direct"),
    ("other", "Other"),
]


def seed(apps, schema_editor):
    Account = apps.get_model("core", "Account")
    Channel = apps.get_model("channels", "Channel")
    seeded = set(Channel._default_manager.values_list("account_id", flat=True).distinct())
    rows = []
    for account_id, language in Account._default_manager.values_list("id", "language").order_by("id"):
        if account_id in seeded:
            continue
        with translation.override(language):
            names = [(key, gettext(name)) for key, name in DEFAULT_CHANNELS]
        rows.extend(
            Channel(account_id=account_id, name=name, name_key=name_key(name), key=key, position=position)
            for position, (key, name) in enumerate(names, start=1)
        )
    Channel._default_manager.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
