from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("invoices/<int:pk>/", views.invoice_document, name="invoice-document"),
]
