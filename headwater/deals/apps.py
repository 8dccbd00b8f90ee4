from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "headwater.deals"
    label = "deals"
