from django.urls import path

from core import views

app_name = "core"
urlpatterns = [
    path("timezone/", views.timezone_set, name="timezone-set"),
]
