from django.apps import AppConfig

from headwater.records.registry import register


class DealsConfig(AppConfig):
    name = "headwater.deals"
    label = "deals"

    def ready(self) -> None:
        # The kind holds the model, its pages and its endpoints, which Django lets us import only once the apps are
        # loaded, i.e. here.
        from headwater.deals.kind import DEAL  # noqa: PLC0415 — models import after the app registry is ready

        register(DEAL)
