from django.urls import path

from core import export_views, views

app_name = "core"
urlpatterns = [
    path("timezone/", views.timezone_set, name="timezone-set"),
    path("exports/<slug:name>/", export_views.export_start, name="export-start"),
    path("exports/<int:pk>/status/", export_views.export_status, name="export-status"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export-download"),
]
