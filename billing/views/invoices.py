"""Fixes on one invoice: discount, mark paid, charge again, void, write off and reverse, send."""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from billing import declines
from billing.actions import (
    discount_invoice,
    mark_invoice_paid,
    retry_invoice,
    reverse_write_off,
    send_invoice,
    void_invoice,
    write_off_invoice,
)
from billing.forms import (
    DiscountForm,
    MarkPaidForm,
    RetryForm,
    SendForm,
    VoidForm,
    local_datetime,
)
from billing.models import Invoice
from billing.steps.ending import order_billed_by
from billing.views.common import Asking, amount_param, invoice_for, number_param, run_action
from core.forms import ReasonForm
from core.htmx import form_data
from core.locales import money_text


def _common(invoice, name: str) -> dict:
    return {
        "contact": invoice.contact,
        "action_url": reverse(f"billing:{name}", args=[invoice.pk]),
        "facts": [("Total", invoice.total), ("Due now", invoice.due)],
    }


def invoice_discount(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk, "billing.discount")
    form = DiscountForm(form_data(request), currency=invoice.currency)

    def call(data: dict):
        return discount_invoice(
            invoice,
            amount=data["amount"],
            percent=data["percent"],
            description=data["description"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    return run_action(
        request,
        form,
        call,
        title=f"Discount {invoice.number}",
        submit="Apply discount",
        message=f"Discount applied to {invoice.number}.",
        ask=Asking(
            "discount_invoice",
            invoice,
            lambda data: {
                "amount": amount_param(data["amount"]),
                "percent": number_param(data["percent"]),
                "description": data["description"],
            },
        ),
        **_common(invoice, "invoice-discount"),
    )


def invoice_mark_paid(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk, "billing.mark_paid")
    form = MarkPaidForm(form_data(request), currency=invoice.currency)

    def call(data: dict):
        return mark_invoice_paid(
            invoice,
            amount=data["amount"],
            method=data["method"],
            reference=data["reference"],
            paid_at=local_datetime(data["paid_on"]),
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    return run_action(
        request,
        form,
        call,
        title=f"Mark {invoice.number} paid",
        submit="Record payment",
        message=lambda payment: (
            f"{money_text(request, payment.amount)} recorded on {invoice.number}."
        ),
        **_common(invoice, "invoice-mark-paid"),
    )


def invoice_retry(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk, "billing.retry_charge")
    form = RetryForm(form_data(request), contact=invoice.contact)

    def call(data: dict):
        return retry_invoice(
            invoice,
            payment_method=data["payment_method"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    def message(payment) -> str:
        if payment.status == "succeeded":
            return f"Charged {money_text(request, payment.amount)} on {invoice.number}."
        why = declines.what_now(payment.decline_code)
        return f"The charge on {invoice.number} did not go through: {payment.message} {why}"

    return run_action(
        request,
        form,
        call,
        title=f"Charge {invoice.number} again now",
        submit="Charge now",
        message=message,
        **_common(invoice, "invoice-retry"),
    )


def _reason_action(request, pk, *, perm, action, name, title, submit, done, danger=False):
    invoice = invoice_for(request, pk, perm)
    form = ReasonForm(form_data(request))

    def call(data: dict):
        return action(
            invoice, actor=request.user, reason=data["reason"], idempotency_key=data["key"]
        )

    return run_action(
        request,
        form,
        call,
        title=f"{title} {invoice.number}",
        submit=submit,
        message=f"{invoice.number} {done}.",
        danger=danger,
        **_common(invoice, name),
    )


def invoice_void(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk, "billing.void")
    order = order_billed_by(invoice)
    only = (
        order is not None
        and not order.invoices.exclude(status=Invoice.Status.VOID).exclude(pk=invoice.pk).exists()
    )
    can_cancel = request.user.has_perm("billing.change_orders")
    form = VoidForm(form_data(request), order=order, only_invoice=only, can_cancel=can_cancel)

    def call(data: dict):
        return void_invoice(
            invoice,
            actor=request.user,
            reason=data["reason"],
            cancel_order=bool(data.get("cancel_order")),
            idempotency_key=data["key"],
        )

    def message(voided) -> str:
        if order is None:
            return f"{invoice.number} voided."
        order.refresh_from_db(fields=["status"])
        if order.status == order.Status.CANCELLED:
            return f"{invoice.number} voided and order #{order.pk} cancelled."
        return f"{invoice.number} voided; order #{order.pk} keeps billing."

    return run_action(
        request,
        form,
        call,
        title=f"Void {invoice.number}",
        submit="Void invoice",
        message=message,
        danger=True,
        **_common(invoice, "invoice-void"),
    )


ONLY_A_MANAGER = (
    'Only a manager may write off an invoice. "Ask a manager" sends your reason and what '
    "would be written off to the approvals queue; the answer shows on this record."
)


def invoice_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("billing.write_off"):
        return _ask_write_off(request, pk)
    return _reason_action(
        request,
        pk,
        perm="billing.write_off",
        action=write_off_invoice,
        name="invoice-write-off",
        title="Write off",
        submit="Write off",
        done="written off",
        danger=True,
    )


def _ask_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    """The write-off form of someone who may only ask: its one button asks a manager (the
    action itself would refuse them, and says so if posted anyway)."""
    invoice = invoice_for(request, pk, "billing.ask_write_off")
    form = ReasonForm(form_data(request))

    def call(data: dict):
        return write_off_invoice(
            invoice, actor=request.user, reason=data["reason"], idempotency_key=data["key"]
        )

    return run_action(
        request,
        form,
        call,
        title=f"Write off {invoice.number}",
        submit="Write off",
        message=f"{invoice.number} written off.",
        danger=True,
        extra={"ask_only": ONLY_A_MANAGER},
        ask=Asking("write_off_invoice", invoice, lambda data: {}),
        **_common(invoice, "invoice-write-off"),
    )


def invoice_reverse_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(
        request,
        pk,
        perm="billing.write_off",
        action=reverse_write_off,
        name="invoice-reverse-write-off",
        title="Reverse the write-off of",
        submit="Reverse write-off",
        done="is open again",
    )


def invoice_send(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk, "billing.send_invoice")
    form = SendForm(form_data(request), initial={"to": invoice.contact.email})

    def call(data: dict):
        return send_invoice(invoice, actor=request.user, to=data["to"] or None)

    return run_action(
        request,
        form,
        call,
        title=f"Send {invoice.number}",
        submit="Send invoice",
        message=f"{invoice.number} sent.",
        panel="history",
        **_common(invoice, "invoice-send"),
    )
