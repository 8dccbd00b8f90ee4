from django.apps import AppConfig

from headwater.records.registry import register


class GadgetsConfig(AppConfig):
    name = "tests.gadgets"
    label = "gadgets"

    def ready(self) -> None:
        from tests.gadgets.kind import GADGET  # noqa: PLC0415 — models import after the app registry is ready

        register(GADGET)
