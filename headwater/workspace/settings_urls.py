"""Account settings: general (here), members and invitations (users app); sources have their own module."""

from django.urls import path

from headwater.users import views as user_views
from headwater.workspace import views

app_name = "account_settings"

urlpatterns = [
    path("", views.account_settings, name="general"),
    path("members/", user_views.member_list, name="members"),
    path("members/<int:membership_id>/role/", user_views.member_role, name="member_role"),
    path("members/<int:membership_id>/remove/", user_views.member_remove, name="member_remove"),
    path("invitations/<int:invitation_id>/renew/", user_views.invitation_renew, name="invitation_renew"),
    path("invitations/<int:invitation_id>/revoke/", user_views.invitation_revoke, name="invitation_revoke"),
]
