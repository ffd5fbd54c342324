"""The customer's own pages, opened from a signed link in an email: no login, no rep
navigation, and nothing of the contact beyond what the link is for (billing.links).

Each view reads its link first; an altered or expired link gets a plain page saying what to do
and nothing else. Money moves only through billing.customer (the rep actions, taken by the
customer actor)."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from billing import customer, declines, links
from billing.documents import invoice_context
from billing.errors import BillingError
from billing.forms.customer import CustomerCardForm
from billing.models import Invoice, Payment
from billing.pdf import invoice_pdf
from billing.steps.cards import start_capture


def _refused(request: HttpRequest, exc: links.LinkRefused) -> HttpResponse:
    return render(
        request,
        "customer/link_refused.html",
        {"expired": exc.expired, "seller": _seller()},
        status=410 if exc.expired else 404,
    )


def _seller() -> dict:
    return {"name": settings.PAYDESK_SELLER_NAME, "address": settings.PAYDESK_SELLER_ADDRESS}


def _card_form(request: HttpRequest, contact) -> CustomerCardForm:
    # The card capture starts only when the form is shown, never for a post that acts.
    data = request.POST if request.method == "POST" else None
    return CustomerCardForm(data, start=lambda: start_capture(contact))


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def customer_invoice(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invoice = links.open_invoice(token)
    except links.LinkRefused as exc:
        return _refused(request, exc)
    form = _card_form(request, invoice.contact)
    if request.method == "POST" and form.is_valid() and (paid := _pay(request, invoice, form)):
        return paid
    status = 422 if request.method == "POST" else 200
    context = invoice_context(invoice)
    context.update(
        seller=_seller(),
        token=token,
        form=form,
        payable=invoice.status == Invoice.Status.OPEN and context["due"].amount > 0,
    )
    return render(request, "customer/invoice.html", context, status=status)


def _pay(request: HttpRequest, invoice: Invoice, form: CustomerCardForm) -> HttpResponse | None:
    """Pay with the posted card: back to the page once paid (or while the outcome is pending),
    None with the reason on the form when the card was refused or declined."""
    back = redirect(request.path)
    try:
        payment = customer.pay_invoice(
            invoice,
            setup=form.cleaned_data["setup"],
            attempt=form.cleaned_data["key"] or uuid.uuid4().hex,
        )
    except customer.NothingToPay:
        return back  # a double submit after the first paid: the page now shows it paid
    except BillingError as exc:
        form.add_action_error(exc)
        return None
    if payment.status == Payment.Status.FAILED:
        words = declines.customer_words(payment.decline_code)
        form.add_error("setup", words or "Your card was declined.")
        return None
    if payment.status == Payment.Status.SUCCEEDED:
        messages.success(request, "Thank you: your payment was received.")
    else:
        messages.info(request, "Your payment is being processed.")
    return back


@login_not_required
@never_cache
@require_http_methods(["GET"])
def customer_invoice_pdf(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invoice = links.open_invoice(token)
    except links.LinkRefused as exc:
        return _refused(request, exc)
    body = invoice_pdf(
        invoice_context(invoice),
        seller_name=settings.PAYDESK_SELLER_NAME,
        seller_address=settings.PAYDESK_SELLER_ADDRESS,
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def customer_card(request: HttpRequest, token: str) -> HttpResponse:
    try:
        contact = links.open_contact(token)
    except links.LinkRefused as exc:
        return _refused(request, exc)
    form = _card_form(request, contact)
    if request.method == "POST" and form.is_valid():
        try:
            card = customer.update_card(
                contact,
                setup=form.cleaned_data["setup"],
                attempt=form.cleaned_data["key"] or uuid.uuid4().hex,
            )
        except BillingError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, f"Thank you: {card} is now your card on file.")
            return redirect(request.path)
    status = 422 if request.method == "POST" else 200
    current = contact.payment_methods.usable().filter(is_default=True).first()
    retried = import_string(settings.PAYDESK_COLLECTIONS_FOR_NEW_CARD)(contact.pk)
    context = {
        "seller": _seller(),
        "first_name": contact.first_name,
        "locale": contact.locale,
        "current": current,
        "retried": retried,
        "form": form,
        "token": token,
    }
    return render(request, "customer/card.html", context, status=status)
