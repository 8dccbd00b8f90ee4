from django.apps import AppConfig

from headwater.records.registry import register


class CompaniesConfig(AppConfig):
    name = "headwater.companies"
    label = "companies"

    def ready(self) -> None:
        # The kind holds the model, its pages and its endpoints, which Django lets us import only once the apps are
        # loaded, i.e. here.
        from headwater.companies.kind import COMPANY  # noqa: PLC0415 — models import after the app registry is ready

        register(COMPANY)
