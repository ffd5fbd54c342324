from django.urls import path

from desk import demo_clock, views

app_name = "desk"
urlpatterns = [
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("demo-clock/", demo_clock.demo_clock, name="demo-clock"),
]
