"""Account settings > Exchange rates (admins only)."""

from django.urls import path

from headwater.stats import views

app_name = "rates"

urlpatterns = [
    path("", views.rate_settings, name="settings"),
]
