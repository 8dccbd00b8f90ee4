from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "headwater.stats"
    label = "stats"
