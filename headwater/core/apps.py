from django.apps import AppConfig
from django.db.backends.signals import connection_created

from headwater.core.pg_loaders import register_tz_loader


class CoreConfig(AppConfig):
    name = "headwater.core"
    label = "core"

    def ready(self) -> None:
        connection_created.connect(register_tz_loader, dispatch_uid="headwater.core.tz_loader")
