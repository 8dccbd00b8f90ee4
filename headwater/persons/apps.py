from django.apps import AppConfig


class PersonsConfig(AppConfig):
    name = "headwater.persons"
    label = "persons"
