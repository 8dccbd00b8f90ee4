from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "headwater.channels"
    label = "channels"

    def ready(self) -> None:
        # Both modules import models, which exist only once the apps are ready.
        from headwater.channels.services import channels_seed_on_account_created  # noqa: PLC0415 — models must be loaded
        from headwater.users.signals import account_created  # noqa: PLC0415 — models must be loaded

        # Connected before the sources app's seeder (this app is installed first), so the starter sources find their
        # channels.
        account_created.connect(channels_seed_on_account_created, dispatch_uid="headwater.channels.seed_default")
