from django.urls import path

from headwater.channels import views

app_name = "channels"

urlpatterns = [
    path("", views.channel_settings, name="settings"),
    path("add/", views.channel_add, name="add"),
    path("<int:channel_id>/rename/", views.channel_rename, name="rename"),
    path("<int:channel_id>/move/", views.channel_move, name="move"),
    path("<int:channel_id>/delete/", views.channel_delete, name="delete"),
]
