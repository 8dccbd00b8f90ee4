from django.urls import path

from headwater.users import token_views, views

app_name = "users"

urlpatterns = [
    path("login/", views.HeadwaterLoginView.as_view(), name="login"),
    path("logout/", views.HeadwaterLogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("signup/confirm/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("confirm/<str:token>/", views.email_confirm, name="email_confirm"),
    path("accounts/new/", views.account_new, name="account_new"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("invitations/<int:invitation_id>/accept/", views.invitation_accept, name="invitation_accept"),
    path("invitations/<int:invitation_id>/decline/", views.invitation_decline, name="invitation_decline"),
    path("me/", views.profile, name="profile"),
    path("me/api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("me/api-tokens/<int:pk>/revoke/", token_views.api_token_revoke_view, name="api_token_revoke"),
    path("i18n/setlang/", views.set_language, name="set_language"),
]
