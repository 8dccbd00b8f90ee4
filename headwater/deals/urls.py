from django.urls import path

from headwater.deals import views

app_name = "deals"

urlpatterns = [
    path("", views.deals_list, name="list"),
]
