from django.urls import path

from desk import views
from desk.manager import views as manager

app_name = "desk"
urlpatterns = [
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("manager/history/", manager.history_page, name="history"),
    path("manager/history/totals/", manager.history_totals, name="history-totals"),
    path("manager/audit/", manager.audit_page, name="audit"),
]
