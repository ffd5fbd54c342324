"""Partner commissions on the contact record: re-run an invoice's, approve and pay a row.
Managers only; the actions check the same permissions again."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from billing.actions import approve_commission, pay_commission, rerun_commissions
from billing.forms.orders import CommissionPayForm, CommissionRerunForm
from billing.models import Commission
from billing.views.common import invoice_for, run_action
from core.action_views import require_perm
from core.forms import ActionForm
from core.htmx import form_data


def _rerun_message(rows: list[Commission]) -> str:
    if not rows:
        return "Commissions are already up to date: nothing posted."
    return f"Commissions re-run: {len(rows)} row{'s' if len(rows) != 1 else ''} changed."


def commission_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = invoice_for(request, pk, "billing.rerun_commissions")
    form = CommissionRerunForm(form_data(request))

    def call(data: dict):
        return rerun_commissions(invoice, actor=request.user, reason=data["reason"])

    return run_action(
        request,
        form,
        call,
        contact=invoice.contact,
        title=f"Re-run commissions on {invoice.number}",
        submit="Re-run commissions",
        action_url=reverse("billing:commission-rerun", args=[invoice.pk]),
        message=_rerun_message,
        facts=[("Total", invoice.total), ("Due now", invoice.due)],
        panel="commissions",
    )


def _commission_for(request: HttpRequest, pk: int) -> Commission:
    require_perm(request, "billing.manage_commissions")
    qs = Commission.objects.select_related("partner", "invoice__contact")
    return get_object_or_404(qs, pk=pk)


def _facts(commission: Commission) -> list[tuple[str, object]]:
    return [
        ("Partner", commission.partner),
        ("Invoice", commission.invoice.number),
        ("Amount", commission.amount),
    ]


def commission_approve(request: HttpRequest, pk: int) -> HttpResponse:
    commission = _commission_for(request, pk)
    form = ActionForm(form_data(request))
    return run_action(
        request,
        form,
        lambda data: approve_commission(commission, actor=request.user),
        contact=commission.invoice.contact,
        title=f"Approve a commission to {commission.partner}",
        submit="Approve",
        action_url=reverse("billing:commission-approve", args=[commission.pk]),
        message=f"Commission to {commission.partner} approved.",
        facts=_facts(commission),
        panel="commissions",
    )


def commission_pay(request: HttpRequest, pk: int) -> HttpResponse:
    commission = _commission_for(request, pk)
    form = CommissionPayForm(form_data(request))

    def call(data: dict):
        return pay_commission(
            commission,
            actor=request.user,
            reference=data["reference"],
            idempotency_key=data["key"],
        )

    return run_action(
        request,
        form,
        call,
        contact=commission.invoice.contact,
        title=f"Record paying {commission.partner}",
        submit="Record payout",
        action_url=reverse("billing:commission-pay", args=[commission.pk]),
        message=f"Payout to {commission.partner} recorded.",
        facts=_facts(commission),
        panel="commissions",
    )
