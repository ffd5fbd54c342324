"""Refunds and cards on file."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.module_loading import import_string

from billing.actions import add_card, refund_payment, remove_card, set_default_card
from billing.forms import CardForm, RefundForm
from billing.models import Payment, PaymentMethod
from billing.steps.cards import start_capture
from billing.views.common import run_action
from contacts.models import Contact
from core.action_views import require_perm
from core.forms import ActionForm, ReasonForm
from core.htmx import form_data
from core.locales import money_text
from core.roles import required


def payment_refund(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request, "billing.refund")
    payment = get_object_or_404(Payment.objects.select_related("contact", "invoice"), pk=pk)
    form = RefundForm(form_data(request), currency=str(payment.amount.currency))

    def call(data: dict):
        return refund_payment(
            payment,
            amount=data["amount"],
            settle=data["settle"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    def message(refund) -> str:
        if refund.status == "failed":
            return f"The refund was refused: {refund.message}"
        return f"Refunded {money_text(request, refund.amount)} on {payment.invoice.number}."

    return run_action(
        request,
        form,
        call,
        contact=payment.contact,
        title=f"Refund a payment on {payment.invoice.number}",
        submit="Refund",
        action_url=reverse("billing:payment-refund", args=[payment.pk]),
        message=message,
        facts=[("Paid", payment.amount), ("Left to refund", payment.refundable)],
        danger=True,
    )


def card_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request, "billing.manage_cards")
    contact = get_object_or_404(Contact, pk=pk)
    # Dunning sits above billing: settings name the reader of its open collections.
    retries = import_string(settings.PAYDESK_COLLECTIONS_FOR_NEW_CARD)(contact.pk)
    # The card goes from the browser to the processor; this form gets the setup id only.
    form = CardForm(form_data(request), start=lambda: start_capture(contact), retries=retries)

    def call(data: dict):
        return add_card(
            contact,
            setup=data["setup"],
            actor=request.user,
            make_default=data["make_default"],
            retry_collections=bool(data.get("retry_collections")),
            idempotency_key=data["key"],
        )

    return run_action(
        request,
        form,
        call,
        contact=contact,
        title="Add a card",
        submit="Add card",
        action_url=reverse("billing:card-add", args=[contact.pk]),
        message=lambda card: f"{card} added.",
        panel="contact-header",
    )


@required("billing.manage_cards")
def card_set_default(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(PaymentMethod.objects.select_related("contact"), pk=pk)
    form = ActionForm(form_data(request))
    return run_action(
        request,
        form,
        lambda data: set_default_card(card, actor=request.user),
        contact=card.contact,
        title=f"Make {card} the default card",
        submit="Make default",
        action_url=reverse("billing:card-set-default", args=[card.pk]),
        message=f"{card} is now the default card.",
        panel="contact-header",
    )


@required("billing.manage_cards")
def card_remove(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(PaymentMethod.objects.select_related("contact"), pk=pk)
    form = ReasonForm(form_data(request))
    return run_action(
        request,
        form,
        lambda data: remove_card(card, actor=request.user, reason=data["reason"]),
        contact=card.contact,
        title=f"Remove {card}",
        submit="Remove card",
        action_url=reverse("billing:card-remove", args=[card.pk]),
        message=f"{card} removed.",
        panel="contact-header",
        danger=True,
    )
