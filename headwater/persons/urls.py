from headwater.persons import views
from headwater.records.urls import record_urlpatterns

app_name = "persons"

urlpatterns = record_urlpatterns(views.PAGES)
