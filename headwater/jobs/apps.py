from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "headwater.jobs"
    label = "jobs"
