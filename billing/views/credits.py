"""Paying a contact's credit back out (the credit line of the contact record)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from billing.actions import refund_credit
from billing.forms.credits import CreditRefundForm
from billing.selectors import credit_balance
from billing.views.common import run_action
from contacts.models import Contact
from core.action_views import require_perm
from core.htmx import form_data


def credit_refund(request: HttpRequest, pk: int, currency: str) -> HttpResponse:
    require_perm(request, "billing.refund")
    contact = get_object_or_404(Contact, pk=pk)
    form = CreditRefundForm(form_data(request), currency=currency)

    def call(data: dict):
        return refund_credit(
            contact,
            currency=currency,
            amount=data["amount"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    def message(refunds) -> str:
        failed = [r for r in refunds if r.status == "failed"]
        if failed:
            return f"A refund was refused: {failed[0].message}"
        return f"Refunded {len(refunds)} payment(s) from the contact's {currency} credit."

    return run_action(
        request,
        form,
        call,
        contact=contact,
        title=f"Refund {currency} credit",
        submit="Refund credit",
        action_url=reverse("billing:credit-refund", args=[contact.pk, currency]),
        message=message,
        facts=[("Credit", credit_balance(contact, currency))],
        danger=True,
        panel="contact-header",
    )
