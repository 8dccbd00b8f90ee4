"""Pages of one account that belong to no single domain app (the dashboard)."""

from django.urls import path

from headwater.workspace import views

app_name = "account"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
