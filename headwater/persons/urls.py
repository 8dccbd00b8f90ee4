from django.urls import path

from headwater.persons import views

app_name = "persons"

urlpatterns = [
    path("", views.persons_list, name="list"),
]
