from django.urls import include, path

from headwater.users import views

app_name = "users"

urlpatterns = [
    path("login/", views.HeadwaterLoginView.as_view(), name="login"),
    path("logout/", views.HeadwaterLogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("me/", views.profile, name="profile"),
    path("i18n/", include("django.conf.urls.i18n")),
]
