from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "headwater.core"
    label = "core"
