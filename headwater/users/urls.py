from django.urls import include, path

from headwater.users import token_views, views

app_name = "users"

urlpatterns = [
    path("login/", views.HeadwaterLoginView.as_view(), name="login"),
    path("logout/", views.HeadwaterLogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("accounts/new/", views.account_new, name="account_new"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation"),
    path("me/", views.profile, name="profile"),
    path("me/api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("me/api-tokens/<int:pk>/revoke/", token_views.api_token_revoke_view, name="api_token_revoke"),
    path("i18n/", include("django.conf.urls.i18n")),
]
