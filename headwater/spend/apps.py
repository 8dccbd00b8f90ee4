from django.apps import AppConfig


class SpendConfig(AppConfig):
    name = "headwater.spend"
    label = "spend"
