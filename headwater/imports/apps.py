from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "headwater.imports"
    label = "imports"
