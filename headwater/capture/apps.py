from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "headwater.capture"
    label = "capture"

    def ready(self) -> None:
        # Both modules import models, which exist only once the apps are ready.
        from headwater.capture.services import capture_rules_seed_on_account_created  # noqa: PLC0415 — models must be loaded
        from headwater.users.signals import account_created  # noqa: PLC0415 — models must be loaded

        # Connected after the sources app's seeder (installed before this app): the rules find the starter sources.
        account_created.connect(capture_rules_seed_on_account_created, dispatch_uid="headwater.capture.seed_rules")
