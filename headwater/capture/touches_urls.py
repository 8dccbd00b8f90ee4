from django.urls import path

from headwater.capture import views

app_name = "touches"

# One route per record kind (the kinds that carry touches), so a link names its kind and its id only.
urlpatterns = [
    path(f"{kind}/<int:record_id>/", views.record_touches, {"record_type": kind}, name=kind)
    for kind in ("company", "person", "deal")
]
