from django.urls import path

from headwater.jobs import views

app_name = "jobs"

urlpatterns = [
    path("<int:job_id>/", views.job_page, name="detail"),
    path("<int:job_id>/progress/", views.job_progress, name="progress"),
    path("<int:job_id>/download/", views.job_download, name="download"),
]
