from django.urls import path

from headwater.workspace import views

# The namespace these two have always had (core:home is LOGIN_REDIRECT_URL and the header's link): names stay.
app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
]
