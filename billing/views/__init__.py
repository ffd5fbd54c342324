"""Billing screens. Money changes only through billing.actions; these modules are the thin
HTTP layer around them."""

from billing.views.commissions import commission_approve, commission_pay, commission_rerun
from billing.views.credits import credit_refund
from billing.views.documents import invoice_document
from billing.views.invoices import (
    invoice_discount,
    invoice_mark_paid,
    invoice_retry,
    invoice_reverse_write_off,
    invoice_send,
    invoice_void,
    invoice_write_off,
)
from billing.views.orders import (
    order_cancel,
    order_change_terms,
    order_discount,
    order_pause,
    order_reschedule,
    order_resume,
    order_set_card,
)
from billing.views.payments import card_add, card_remove, card_set_default, payment_refund
from billing.views.sales import invoice_replace, sale_new, sale_preview

__all__ = [
    "card_add",
    "card_remove",
    "card_set_default",
    "commission_approve",
    "commission_pay",
    "commission_rerun",
    "credit_refund",
    "invoice_discount",
    "invoice_document",
    "invoice_mark_paid",
    "invoice_replace",
    "invoice_retry",
    "invoice_reverse_write_off",
    "invoice_send",
    "invoice_void",
    "invoice_write_off",
    "order_cancel",
    "order_change_terms",
    "order_discount",
    "order_pause",
    "order_reschedule",
    "order_resume",
    "order_set_card",
    "payment_refund",
    "sale_new",
    "sale_preview",
]
