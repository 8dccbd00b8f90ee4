from django.urls import path

from headwater.companies import views

app_name = "companies"

urlpatterns = [
    path("", views.companies_list, name="list"),
]
