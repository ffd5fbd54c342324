"""What billing's action views share: the invoice they act on, and the contact record as the
page they answer with (core.action_views holds the rest of the shape)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from djmoney.money import Money

from billing.models import Invoice
from billing.selectors import with_amounts
from core import action_views
from core.action_views import require_perm


def invoice_for(request: HttpRequest, pk: int, perm: str) -> Invoice:
    require_perm(request, perm)
    qs = with_amounts(Invoice.objects.select_related("contact").filter(pk=pk))
    invoice = get_object_or_404(qs)
    invoice.due = Money(invoice.due_amount, invoice.currency)
    invoice.total = Money(invoice.total_amount, invoice.currency)
    return invoice


def run_action(
    request: HttpRequest, form, call, *, contact, panel: str = "invoices", **page: Any
) -> HttpResponse:
    """core's run_action, answering with the contact record's `panel` refreshed."""
    done = action_views.record_done(request, contact, panel)
    return action_views.run_action(request, form, call, contact=contact, done=done, **page)
