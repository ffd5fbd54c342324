"""The customer's pages, behind signed links (billing.links): mounted apart from billing's rep
pages so they share no prefix, navigation or login with them."""

from django.urls import path

from billing.views import customer

app_name = "customer"
urlpatterns = [
    path("card/<str:token>/", customer.customer_card, name="card"),
    path("<str:token>/", customer.customer_invoice, name="invoice"),
    path("<str:token>/pdf/", customer.customer_invoice_pdf, name="invoice-pdf"),
]
