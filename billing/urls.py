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
    path(
        "contacts/<int:pk>/credit/<str:currency>/refund/",
        views.credit_refund,
        name="credit-refund",
    ),
    path("contacts/<int:pk>/cards/add/", views.card_add, name="card-add"),
    path("cards/<int:pk>/default/", views.card_set_default, name="card-set-default"),
    path("cards/<int:pk>/remove/", views.card_remove, name="card-remove"),
    path("orders/<int:pk>/terms/", views.order_change_terms, name="order-change-terms"),
    path("orders/<int:pk>/reschedule/", views.order_reschedule, name="order-reschedule"),
    path("orders/<int:pk>/pause/", views.order_pause, name="order-pause"),
    path("orders/<int:pk>/resume/", views.order_resume, name="order-resume"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order-cancel"),
    path("orders/<int:pk>/discount/", views.order_discount, name="order-discount"),
    path("orders/<int:pk>/card/", views.order_set_card, name="order-set-card"),
    path("invoices/<int:pk>/commissions/", views.commission_rerun, name="commission-rerun"),
    path("commissions/<int:pk>/approve/", views.commission_approve, name="commission-approve"),
    path("commissions/<int:pk>/pay/", views.commission_pay, name="commission-pay"),
    path("sale/", views.sale_new, name="sale-new"),
    path("sale/preview/", views.sale_preview, name="sale-preview"),
]
