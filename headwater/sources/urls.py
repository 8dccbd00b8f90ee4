from django.urls import path

from headwater.sources import views

app_name = "sources"

urlpatterns = [
    path("", views.source_settings, name="settings"),
    path("switches/", views.source_switches, name="switches"),
    path("add/", views.source_add, name="add"),
    path("reorder/", views.source_reorder, name="reorder"),
    path("history/", views.source_history, name="history"),
    path("<int:source_id>/rename/", views.source_rename, name="rename"),
    path("<int:source_id>/channel/", views.source_set_channel, name="channel"),
    path("<int:source_id>/move/", views.source_move, name="move"),
    path("<int:source_id>/archive/", views.source_archive, name="archive"),
    path("<int:source_id>/unarchive/", views.source_unarchive, name="unarchive"),
    path("<int:source_id>/delete/", views.source_delete, name="delete"),
    path("<int:source_id>/merge/", views.source_merge, name="merge"),
    path("aliases/add/", views.source_alias_add, name="alias_add"),
    path("aliases/<int:alias_id>/edit/", views.source_alias_edit, name="alias_edit"),
    path("aliases/<int:alias_id>/delete/", views.source_alias_delete, name="alias_delete"),
]
