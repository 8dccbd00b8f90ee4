from django.urls import path

from headwater.companies import views

app_name = "companies"

urlpatterns = [
    path("", views.company_list, name="list"),
    path("new/", views.company_create, name="create"),
    path("lookup/", views.company_lookup, name="lookup"),
    path("quick-create/", views.company_quick_create, name="quick_create"),
    path("<int:pk>/", views.company_detail, name="detail"),
    path("<int:pk>/edit/", views.company_edit, name="edit"),
    path("<int:pk>/delete/", views.company_delete, name="delete"),
]
