"""The rep actions: the only way money or terms change in Paydesk (see DESIGN.md).

Each action checks the actor's permission, locks rows in a fixed order (billing.steps.locks),
checks the transition, posts one balanced journal, writes its audit event and announces side
effects on commit. Gateway calls happen outside database transactions. This package holds only
modules that export rep actions; the internal steps they are built from are billing.steps.
"""

from billing.actions.cards import add_card, remove_card, set_default_card
from billing.actions.commissions import approve_commission, pay_commission, rerun_commissions
from billing.actions.credits import refund_credit
from billing.actions.delivery import send_invoice
from billing.actions.invoices import (
    discount_invoice,
    mark_invoice_paid,
    retry_invoice,
    reverse_write_off,
    void_invoice,
    write_off_invoice,
)
from billing.actions.order_lifecycle import (
    cancel_order,
    pause_order,
    reschedule_order,
    resume_order,
)
from billing.actions.orders import (
    change_order_terms,
    discount_order,
    preview_proration,
    set_order_card,
)
from billing.actions.refunds import refund_payment
from billing.actions.replace import replace_voided_invoice
from billing.actions.sales import charge_sale, record_sale
from billing.errors import BillingError
from billing.steps.cancelling import plan_cancel
from billing.steps.opening import plan_sale
from offers.lines import SaleLine

__all__ = [
    "BillingError",
    "SaleLine",
    "add_card",
    "approve_commission",
    "cancel_order",
    "change_order_terms",
    "discount_order",
    "pause_order",
    "plan_cancel",
    "plan_sale",
    "preview_proration",
    "rerun_commissions",
    "reschedule_order",
    "resume_order",
    "set_order_card",
    "charge_sale",
    "discount_invoice",
    "mark_invoice_paid",
    "pay_commission",
    "record_sale",
    "refund_credit",
    "refund_payment",
    "remove_card",
    "replace_voided_invoice",
    "retry_invoice",
    "reverse_write_off",
    "send_invoice",
    "set_default_card",
    "void_invoice",
    "write_off_invoice",
]
