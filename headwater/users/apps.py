from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "headwater.users"
    label = "users"
