from django.urls import include, path

from config.api import api

account_patterns = [
    path("", include("headwater.workspace.account_urls")),
    path("companies/", include("headwater.companies.urls")),
    path("persons/", include("headwater.persons.urls")),
    path("deals/", include("headwater.deals.urls")),
    path("settings/sources/", include("headwater.sources.urls")),
    path("settings/rates/", include("headwater.stats.rates_urls")),
    path("settings/", include("headwater.workspace.settings_urls")),
    path("stats/", include("headwater.stats.urls")),
]

urlpatterns = [
    path("", include("headwater.workspace.urls")),
    path("", include("headwater.users.urls")),
    path("a/<slug:account_slug>/", include(account_patterns)),
    path("api/v1/", api.urls),
]

# Pages in the site's layout and language, JSON under /api/ (core/error_views.py).
handler400 = "headwater.core.error_views.bad_request"
handler403 = "headwater.core.error_views.permission_denied"
handler404 = "headwater.core.error_views.page_not_found"
handler500 = "headwater.core.error_views.server_error"
