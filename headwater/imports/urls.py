from django.urls import path

from headwater.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_start, name="start"),
    path("template/", views.import_template, name="template"),
    path("spend/", views.spend_import_page, name="spend"),
    path("<int:import_id>/", views.import_detail, name="detail"),
    path("<int:import_id>/mapping/", views.import_mapping, name="mapping"),
    path("<int:import_id>/sources/", views.import_sources, name="sources"),
    path("<int:import_id>/duplicates/", views.import_duplicates, name="duplicates"),
    path("<int:import_id>/preview/", views.import_preview, name="preview"),
    path("<int:import_id>/rejected/", views.import_rejected, name="rejected"),
    path("<int:import_id>/undo/", views.import_undo, name="undo"),
]
