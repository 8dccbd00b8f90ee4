from django.urls import path

from headwater.capture import views

app_name = "capture"

urlpatterns = [
    path("", views.rules, name="rules"),
    path("rules/add/", views.rule_add, name="rule_add"),
    path("rules/defaults/", views.rule_defaults, name="rule_defaults"),
    path("rules/<int:rule_id>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/move/", views.rule_move, name="rule_move"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("reapply/", views.reapply, name="reapply"),
    path("test/", views.link_test, name="link_test"),
    path("unmatched/", views.unmatched, name="unmatched"),
]
