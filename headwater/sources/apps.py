from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "headwater.sources"
    label = "sources"

    def ready(self) -> None:
        # Both modules import models, which exist only once the apps are ready.
        from headwater.sources.services import sources_seed_on_account_created  # noqa: PLC0415 — models must be loaded
        from headwater.users.signals import account_created  # noqa: PLC0415 — models must be loaded

        # The users app creates accounts and sits below this one: it announces them, we add the starter catalogue.
        account_created.connect(sources_seed_on_account_created, dispatch_uid="headwater.sources.seed_starter")
