from django.urls import path

from headwater.jobs import views

app_name = "jobs"

urlpatterns = [
    path("<int:job_id>/progress/", views.job_progress, name="progress"),
]
