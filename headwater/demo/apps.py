from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo accounts (`manage.py demo_data`): built through the services, like a user would."""

    name = "headwater.demo"
    label = "demo"
