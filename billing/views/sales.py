"""The virtual terminal (new sale) and replacing an invoice: both edit a grid of sale lines."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from billing import declines
from billing.actions import (
    BillingError,
    charge_sale,
    plan_sale,
    record_sale,
    replace_voided_invoice,
)
from billing.forms import SaleForm, local_datetime
from billing.lines import validate_lines
from billing.selectors import credit_balance
from billing.views.common import invoice_for
from contacts.models import Contact
from contacts.selectors import search_contacts
from core import clock, money
from core.action_views import require_perm
from core.errors import ActionError
from core.forms import ReasonForm
from core.htmx import form_data, form_status
from core.params import object_id, search_text
from offers.actions import store_offer
from offers.forms import line_formset, line_initial
from offers.lines import SaleLine
from offers.models import Offer


def _place(exc: ActionError, form, lines) -> None:
    if exc.field in form.fields or not lines.add_action_error(exc):
        form.add_action_error(exc)


def _grid(request: HttpRequest, contact: Contact, offer: Offer | None):
    currency = request.POST.get("currency") or (offer.currency if offer else contact.currency)
    initial = {"currency": currency}
    form = SaleForm(form_data(request), contact=contact, currency=currency, initial=initial)
    rows = line_initial(offer.lines_for_sale()) if offer else []
    return form, line_formset(form_data(request), initial=rows, currency=currency)


FIX_FIRST = "Fix the highlighted fields to see the total:"


def invalid_fields(form, lines) -> list[tuple[str, str, str]]:
    """(field id, where, first error) for each field the live summary cannot read, so the
    summary names them and paydesk.js highlights them before anything is submitted."""
    lines.is_valid()  # also when the sale form failed first: each row learns if it was removed
    found = []
    for number, line in enumerate(lines.kept_forms(), start=1):
        for name, errors in line.errors.items():
            field = line["terms" if name == "__all__" else name]
            found.append((field.auto_id, f"Line {number}, {field.label.lower()}", errors[0]))
    for name, errors in form.errors.items():
        if name in form.fields:
            found.append((form[name].auto_id, form[name].label, errors[0]))
    found.extend(("", "Lines", error) for error in lines.non_form_errors())
    return found


def _summary(form, lines, contact: Contact, offer: Offer | None = None) -> dict:
    """What the grid would charge now, from the sale's own plan (`plan_sale`, what
    charge_sale posts): from the posted grid, or from the offer just picked."""
    if not form.is_bound:
        sale = offer.lines_for_sale() if offer else []
    elif form.is_valid() and lines.is_valid():
        sale = lines.sale_lines()
    else:
        return {"summary_error": FIX_FIRST, "invalid": invalid_fields(form, lines)}
    if not sale:
        return {"summary_error": "Add a product to see the total."}
    try:
        currency = validate_lines(sale)
        specs, _ = plan_sale(sale, clock.today())
    except BillingError as exc:
        return {"summary_error": exc.message}
    total = money.sum_money((spec.amount for spec in specs), currency)
    credit = min(credit_balance(contact, currency), total)
    return {
        "sale_lines": sale,
        "invoice_lines": specs,
        "credit_applied": credit if credit.amount else None,
        "due_total": total - credit,
    }


def sale_new(request: HttpRequest) -> HttpResponse:
    require_perm(request, "billing.sell")
    contact_id = request.POST.get("contact") or request.GET.get("contact")
    if not contact_id:
        q = search_text(request.GET.get("q"))
        found = list(search_contacts(q)[:20]) if q else []
        return render(request, "billing/sale.html", {"q": q, "found": found, "picking": True})
    contact = get_object_or_404(Contact, pk=object_id(contact_id))
    offer = None
    if request.GET.get("offer"):
        offer = get_object_or_404(Offer, pk=object_id(request.GET["offer"]), archived=False)
    form, lines = _grid(request, contact, offer)
    if request.method == "POST" and not lines.adding and form.is_valid() and lines.is_valid():
        try:
            return _complete(request, contact, form, lines)
        except ActionError as exc:
            _place(exc, form, lines)
    status = 200 if lines.adding else max(form_status(form), form_status(lines))
    context = {
        "contact": contact,
        "form": form,
        "lines": lines,
        "offer": offer,
        "offers": Offer.objects.filter(archived=False),
        **_summary(form, lines, contact, offer),
    }
    return render(request, "billing/sale.html", context, status=status)


def _complete(request: HttpRequest, contact: Contact, form, lines) -> HttpResponse:
    data, sale = form.cleaned_data, lines.sale_lines()
    intent = request.POST.get("intent", "charge")
    if intent == "save_offer":
        if not request.user.has_perm("offers.add_offer"):
            raise PermissionDenied
        if not data["offer_name"]:
            raise BillingError("Name the offer.", field="offer_name")
        if not sale:
            raise BillingError("Add at least one line.", field="lines")
        offer = store_offer(data["offer_name"], data["currency"], sale, actor=request.user)
        messages.success(request, f"Saved as offer {offer}.")
        return _go(request, f"{reverse('billing:sale-new')}?contact={contact.pk}&offer={offer.pk}")
    common = {"lines": sale, "actor": request.user, "reason": data["reason"]}
    if intent == "record":
        invoice = record_sale(
            contact,
            method=data["method"] or "other_system",
            reference=data["reference"],
            paid_at=local_datetime(data["paid_on"]),
            event_name=data["event_name"],
            collection_method=data["collection_method"] or None,
            idempotency_key=data["key"],
            **common,
        )
        messages.success(request, f"Sale recorded: {invoice.number}.")
    else:
        invoice = charge_sale(
            contact,
            payment_method=data["payment_method"],
            source="event" if data["event_name"] else "phone",
            event_name=data["event_name"],
            idempotency_key=data["key"],
            **common,
        )
        if invoice.status == "paid":
            messages.success(request, f"Charged: {invoice.number} is paid.")
        else:
            failed = invoice.payments.filter(status="failed").order_by("-pk").first()
            why = declines.what_now(failed.decline_code) if failed else ""
            messages.warning(
                request, f"{invoice.number} is open: the charge did not go through. {why}"
            )
    return _go(request, contact.get_absolute_url())


def _go(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def sale_preview(request: HttpRequest) -> HttpResponse:
    """The live total of the grid, re-rendered as the rep types (nothing is saved)."""
    require_perm(request, "billing.sell")
    contact = get_object_or_404(Contact, pk=object_id(request.POST.get("contact")))
    form, lines = _grid(request, contact, None)
    context = {"contact": contact, **_summary(form, lines, contact)}
    return render(request, "billing/sale.html#sale-summary", context)


def invoice_replace(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk, "billing.replace_invoice")
    items = invoice.lines.filter(kind="item", product__isnull=False).select_related(
        "product", "offer"
    )
    # A replacement is the same sale again: its lines keep the offer they were sold from.
    rows = line_initial(
        [SaleLine(i.product, i.quantity, i.unit_price, offer=i.offer) for i in items]
    )
    form = ReasonForm(form_data(request))
    lines = line_formset(form_data(request), initial=rows, currency=invoice.currency)
    if request.method == "POST" and not lines.adding and form.is_valid() and lines.is_valid():
        try:
            new = replace_voided_invoice(
                invoice,
                lines=lines.sale_lines(),
                actor=request.user,
                reason=form.cleaned_data["reason"],
                idempotency_key=form.cleaned_data["key"],
            )
        except BillingError as exc:
            _place(exc, form, lines)
        else:
            messages.success(request, f"{invoice.number} replaced by {new.number}.")
            return _go(request, invoice.contact.get_absolute_url())
    context = {"invoice": invoice, "contact": invoice.contact, "form": form, "lines": lines}
    status = 200 if lines.adding else max(form_status(form), form_status(lines))
    return render(request, "billing/invoice_replace.html", context, status=status)
