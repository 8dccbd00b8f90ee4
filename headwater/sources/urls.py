from django.urls import path

from headwater.sources import views

app_name = "sources"

urlpatterns = [
    path("", views.source_settings, name="settings"),
]
