from headwater.companies import views
from headwater.records.urls import record_urlpatterns

app_name = "companies"

urlpatterns = record_urlpatterns(views.PAGES)
