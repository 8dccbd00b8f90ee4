from django.urls import path

from headwater.deals import views

app_name = "deals"

urlpatterns = [
    path("", views.deal_list, name="list"),
    path("new/", views.deal_create, name="create"),
    path("<int:pk>/", views.deal_detail, name="detail"),
    path("<int:pk>/edit/", views.deal_edit, name="edit"),
    path("<int:pk>/status/", views.deal_status, name="status"),
    path("<int:pk>/delete/", views.deal_delete, name="delete"),
]
