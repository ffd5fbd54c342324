"""What billing's action views share: the invoice they act on, and the contact record as the
page they answer with (core.action_views holds the rest of the shape)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from djmoney.money import Money

from billing import approvable
from billing.actions import ask_manager
from billing.errors import AboveRepLimit
from billing.models import ApprovalRequest, Invoice
from billing.selectors import with_amounts
from core import action_views
from core.action_views import require_perm
from core.errors import ActionError


def invoice_for(request: HttpRequest, pk: int, perm: str) -> Invoice:
    require_perm(request, perm)
    qs = with_amounts(Invoice.objects.select_related("contact").filter(pk=pk))
    invoice = get_object_or_404(qs)
    invoice.due = Money(invoice.due_amount, invoice.currency)
    invoice.total = Money(invoice.total_amount, invoice.currency)
    return invoice


class Asking:
    """What "Ask a manager" asks for: the action's kind, the row it acts on, and its
    parameters from the form's clean data (as JSON: amounts as decimal strings)."""

    def __init__(self, kind: str, subject, params) -> None:
        self.kind, self.subject, self.params = kind, subject, params

    def call(self, request: HttpRequest):
        def ask(data: dict) -> ApprovalRequest:
            return ask_manager(
                self.subject,
                kind=self.kind,
                params=self.params(data),
                actor=request.user,
                reason=data["reason"],
                idempotency_key=data["key"],
            )

        return ask


def run_action(
    request: HttpRequest,
    form,
    call,
    *,
    contact,
    panel: str = "invoices",
    ask: Asking | None = None,
    **page: Any,
) -> HttpResponse:
    """core's run_action, answering with the contact record's `panel` refreshed.

    With `ask`, a refusal for the rep's limit (and only that) offers "Ask a manager": the same
    form posted with intent=ask stores the request instead of acting (ask_manager), and the
    record's approvals panel shows it."""
    if ask is None:
        done = action_views.record_done(request, contact, panel)
        return action_views.run_action(request, form, call, contact=contact, done=done, **page)
    if request.method == "POST" and request.POST.get("intent") == "ask":
        call = ask.call(request)
        panel = "approvals"
        page["message"] = lambda approval: f"Asked a manager: {approval.summary}."
        # The button stays while the rep fixes what the form refused (a missing reason).
        page["extra"] = {**(page.get("extra") or {}), "ask_manager": True}
    done = action_views.record_done(request, contact, panel)
    return action_views.run_action(
        request, form, call, contact=contact, done=done, offer=_offer_ask, **page
    )


def _offer_ask(exc: ActionError) -> dict:
    return {"ask_manager": isinstance(exc, AboveRepLimit)}


def amount_param(amount: Money | None) -> str | None:
    return None if amount is None else approvable.amount_param(amount)


def number_param(value) -> str | None:
    return None if value is None else str(value)
