from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "headwater.users"
    label = "users"

    def ready(self) -> None:
        from headwater.users import signals  # noqa: F401, PLC0415 — connects the receivers; models must be loaded
