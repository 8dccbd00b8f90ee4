from django.urls import path

from headwater.leadforms import views

app_name = "leadforms"

urlpatterns = [
    path("", views.form_list, name="forms"),
    path("add/", views.form_add, name="add"),
    path("<int:form_id>/edit/", views.form_edit, name="edit"),
    path("<int:form_id>/delete/", views.form_delete, name="delete"),
    path("<int:form_id>/embed/", views.form_snippet, name="snippet"),
]
