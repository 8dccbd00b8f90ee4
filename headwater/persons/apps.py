from django.apps import AppConfig

from headwater.records.registry import register


class PersonsConfig(AppConfig):
    name = "headwater.persons"
    label = "persons"

    def ready(self) -> None:
        # The kind holds the model, its pages and its endpoints, which Django lets us import only once the apps are
        # loaded, i.e. here.
        from headwater.persons.kind import PERSON  # noqa: PLC0415 — models import after the app registry is ready

        register(PERSON)
