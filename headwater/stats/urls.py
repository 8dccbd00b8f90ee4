from django.urls import path

from headwater.stats import views

app_name = "stats"

urlpatterns = [
    path("sources/", views.source_stats, name="sources"),
]
