from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "headwater.campaigns"
    label = "campaigns"
