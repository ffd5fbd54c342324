from django.urls import path

from desk import views

app_name = "desk"
urlpatterns = [
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
]
