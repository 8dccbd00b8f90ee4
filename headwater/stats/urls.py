from django.urls import path

from headwater.stats import cohort_views, part_views, views

app_name = "stats"

urlpatterns = [
    path("sources/", views.source_stats_page, name="sources"),
    path("sources/export.csv", views.source_stats_csv_export, name="sources_csv"),
    # The page's parts that load when opened (a source's campaigns, a trend chart's figures).
    path("sources/campaigns/", part_views.source_campaigns_part, name="sources_campaigns"),
    path("sources/trend-figures/", part_views.trend_figures_part, name="sources_trend_figures"),
    path("recompute/", views.tallies_recompute, name="recompute"),
    path("sources/export.xlsx", views.source_stats_xlsx_export, name="sources_xlsx"),
    path("cohorts/", cohort_views.cohort_page, name="cohorts"),
    path("cohorts/export.csv", cohort_views.cohort_csv_export, name="cohorts_csv"),
    path("cohorts/export.xlsx", cohort_views.cohort_xlsx_export, name="cohorts_xlsx"),
]
