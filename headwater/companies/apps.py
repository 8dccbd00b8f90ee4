from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "headwater.companies"
    label = "companies"
