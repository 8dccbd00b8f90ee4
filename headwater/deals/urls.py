from django.urls import path

from headwater.deals import views
from headwater.records.urls import record_urlpatterns

app_name = "deals"

urlpatterns = record_urlpatterns(views.PAGES, extra=[path("<int:pk>/status/", views.deal_status, name="status")])
