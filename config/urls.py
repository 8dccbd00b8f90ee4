from django.urls import include, path

from config.api import api
from headwater.records.registry import record_kinds

account_patterns = [
    path("", include("headwater.workspace.account_urls")),
    # Each record kind's pages under its app's label ("companies/"), from its app's urls (records/urls.py).
    *(
        path(f"{kind.app}/", include(f"{kind.model._meta.app_config.name}.urls"))
        for kind in record_kinds()
        if kind.pages is not None
    ),
    path("settings/sources/", include("headwater.sources.urls")),
    path("settings/capture/forms/", include("headwater.leadforms.urls")),
    path("settings/capture/", include("headwater.capture.urls")),
    path("touches/", include("headwater.capture.touches_urls")),
    path("settings/channels/", include("headwater.channels.urls")),
    path("settings/campaigns/", include("headwater.campaigns.urls")),
    path("settings/rates/", include("headwater.stats.rates_urls")),
    path("settings/spend/", include("headwater.spend.urls")),
    path("settings/", include("headwater.workspace.settings_urls")),
    path("stats/", include("headwater.stats.urls")),
    path("jobs/", include("headwater.jobs.urls")),
    path("import/", include("headwater.imports.urls")),
]

urlpatterns = [
    path("", include("headwater.workspace.urls")),
    path("", include("headwater.users.urls")),
    path("a/<slug:account_slug>/", include(account_patterns)),
    path("f/", include("headwater.leadforms.public_urls")),
    path("api/v1/", api.urls),
]

# Pages in the site's layout and language, JSON under /api/ (core/error_views.py).
handler400 = "headwater.core.error_views.bad_request"
handler403 = "headwater.core.error_views.permission_denied"
handler404 = "headwater.core.error_views.page_not_found"
handler500 = "headwater.core.error_views.server_error"
