from django.urls import path

from headwater.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("source/<int:source_id>/", views.campaign_list, name="of_source"),
    path("<int:campaign_id>/edit/", views.campaign_edit, name="edit"),
    path("<int:campaign_id>/archive/", views.campaign_archive, name="archive"),
    path("<int:campaign_id>/delete/", views.campaign_delete, name="delete"),
]
