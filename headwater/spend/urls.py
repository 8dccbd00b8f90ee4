from django.urls import path

from headwater.spend import views

app_name = "spend"

urlpatterns = [
    path("", views.spend_list, name="ledger"),
    path("add/", views.spend_add, name="add"),
    path("<int:entry_id>/edit/", views.spend_edit, name="edit"),
    path("<int:entry_id>/delete/", views.spend_delete, name="delete"),
]
