import unicodedata

from django.db import migrations, models

from headwater.sources.rekey import rekey_sources


def forwards(apps, schema_editor):
    rekey_sources(
        apps.get_model("sources", "Source"),
        apps.get_model("sources", "SourceEvent"),
        using=schema_editor.connection.alias,
    )


def backwards(apps, schema_editor):
    """The previous key (NFKC, case folded, trimmed); renamed sources keep their numbered names."""
    source_model = apps.get_model("sources", "Source")
    for source in source_model._base_manager.using(schema_editor.connection.alias).all():
        source.name_key = unicodedata.normalize("NFKC", source.name).strip().casefold()
        source.save(update_fields=["name_key"])


class Migration(migrations.Migration):
    """Source names are unique as search compares them and as they look (docs/sources.md, "Names").

    `name_key` becomes the search folding plus the Unicode confusable skeleton (core.text.name_key) and the new
    `look_key` the skeleton of the name as written (core.text.name_look_key); both are unique per account. Every
    existing source gets both keys. Where an account already holds two names that now count as the same, the
    first created keeps its name and each later one is renamed with a number ("Partner (2)"), with a history row
    by the system naming the source it looked like (the policy and why: headwater/sources/rekey.py). The
    constraint on `name_key` is dropped while the keys are rewritten and added again after.
    """

    dependencies = [
        ("sources", "0002_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="source", name="source_account_name_key_uniq"),
        migrations.AddField(
            model_name="source",
            name="look_key",
            field=models.CharField(default="", editable=False, max_length=300),
            preserve_default=False,
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddConstraint(
            model_name="source",
            constraint=models.UniqueConstraint(fields=("account", "name_key"), name="source_account_name_key_uniq"),
        ),
        migrations.AddConstraint(
            model_name="source",
            constraint=models.UniqueConstraint(fields=("account", "look_key"), name="source_account_look_key_uniq"),
        ),
    ]
