from headwater.records.urls import record_urlpatterns
from tests.gadgets import views

app_name = "gadgets"

urlpatterns = record_urlpatterns(views.PAGES)
