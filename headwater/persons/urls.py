from django.urls import path

from headwater.persons import views

app_name = "persons"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("lookup/", views.person_lookup, name="lookup"),
    path("quick-create/", views.person_quick_create, name="quick_create"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/delete/", views.person_delete, name="delete"),
]
