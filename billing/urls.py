from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("invoices/<int:pk>/", views.invoice_document, name="invoice-document"),
    path("invoices/<int:pk>/discount/", views.invoice_discount, name="invoice-discount"),
    path("invoices/<int:pk>/mark-paid/", views.invoice_mark_paid, name="invoice-mark-paid"),
    path("invoices/<int:pk>/retry/", views.invoice_retry, name="invoice-retry"),
    path("invoices/<int:pk>/void/", views.invoice_void, name="invoice-void"),
    path("invoices/<int:pk>/write-off/", views.invoice_write_off, name="invoice-write-off"),
    path(
        "invoices/<int:pk>/reverse-write-off/",
        views.invoice_reverse_write_off,
        name="invoice-reverse-write-off",
    ),
    path("invoices/<int:pk>/send/", views.invoice_send, name="invoice-send"),
    path("invoices/<int:pk>/replace/", views.invoice_replace, name="invoice-replace"),
    path("payments/<int:pk>/refund/", views.payment_refund, name="payment-refund"),
    path("contacts/<int:pk>/cards/add/", views.card_add, name="card-add"),
    path("cards/<int:pk>/default/", views.card_set_default, name="card-set-default"),
    path("sale/", views.sale_new, name="sale-new"),
    path("sale/preview/", views.sale_preview, name="sale-preview"),
]
