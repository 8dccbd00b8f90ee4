from django.apps import AppConfig


class LeadFormsConfig(AppConfig):
    name = "headwater.leadforms"
    label = "leadforms"
