from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "headwater.sources"
    label = "sources"
