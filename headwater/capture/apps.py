from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "headwater.capture"
    label = "capture"
