"""Write-off requests: no rep may write off, so every rep's write-off is a request, run as the
manager who approves it, refused when money came in meanwhile, queued once however often the
rep asks, and carried out once however many managers approve at the same moment."""

import pytest
from django.core import mail

from billing import errors
from billing.actions import (
    SaleLine,
    add_card,
    approve_request,
    ask_manager,
    charge_sale,
    decline_request,
    mark_invoice_paid,
    write_off_invoice,
)
from billing.actions.approvals import ALREADY_ASKED, WITHIN_LIMIT
from billing.invariants import breaches
from billing.models import ApprovalRequest, Journal
from core.models import AuditEvent
from tests import factories
from tests.billing.approval_requests import ask_refund, ask_write_off
from tests.factories import ProductFactory
from tests.helpers import race, usd

Status = ApprovalRequest.Status


def test_a_rep_asks_and_a_manager_writes_off_as_themselves(
    declined_invoice, rep, manager, emails, django_capture_on_commit_callbacks
):
    with pytest.raises(errors.NotAllowed):
        write_off_invoice(declined_invoice, actor=rep, reason="moved abroad")
    with django_capture_on_commit_callbacks(execute=True):
        request = ask_write_off(declined_invoice, rep)

    assert (request.status, request.invoice, request.params) == (
        Status.PENDING,
        declined_invoice,
        {"amount": "100.00"},
    )
    assert request.preview == [
        ["Total", "$100.00"],
        ["Due now", "$100.00"],
        ["Written off", "$100.00"],
    ]
    assert request.summary == f"Write off $100.00 on {declined_invoice.number}"
    assert [m.to for m in mail.outbox] == [["max@example.com"]]

    decided = approve_request(request, actor=manager, note="agreed")

    assert (decided.status, decided.outcome) == (
        Status.APPROVED,
        f"{declined_invoice.number} written off.",
    )
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == "written_off"
    journal = Journal.objects.get(kind="invoice_written_off")
    assert (journal.actor, journal.memo) == (manager, "moved abroad")
    event = AuditEvent.objects.get(action="invoice.written_off")
    assert (event.actor, event.after["requested_by"]) == (manager, "rita")
    assert breaches() == []


def test_the_same_ask_twice_waits_once_and_a_different_one_is_queued(
    declined_invoice, big_payment, rep, manager
):
    ask_write_off(declined_invoice, rep, idempotency_key="first-form")
    with pytest.raises(errors.InvalidRequest, match=ALREADY_ASKED):
        ask_write_off(declined_invoice, rep, idempotency_key="second-form")
    # The same form posted again is the first request, not a refusal.
    assert ask_write_off(declined_invoice, rep, idempotency_key="first-form").pk
    assert ApprovalRequest.objects.filter(kind="write_off_invoice").count() == 1

    ask_refund(big_payment, rep, amount="600.00")
    ask_refund(big_payment, rep, amount="700.00")  # another amount: another decision
    with pytest.raises(errors.InvalidRequest, match=ALREADY_ASKED):
        ask_refund(big_payment, rep, amount="700.00")
    assert ApprovalRequest.objects.filter(kind="refund_payment").count() == 2

    # Once decided, the same ask may be made again.
    decline_request(
        ApprovalRequest.objects.get(kind="write_off_invoice"), actor=manager, reason="no"
    )
    assert ask_write_off(declined_invoice, rep).status == Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_eight_identical_asks_at_once_queue_one_request(declined_invoice, rep):
    results = race(8, lambda i: ask_write_off(declined_invoice, rep, idempotency_key=f"tab-{i}"))

    asked = [r for r in results if isinstance(r, ApprovalRequest)]
    refused = [r for r in results if isinstance(r, errors.InvalidRequest)]
    assert len(asked) == 1 and len(refused) == 7, results
    assert ApprovalRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action="approval.requested").count() == 1


def test_a_manager_needs_no_request_and_the_action_refuses_first(
    declined_invoice, paid_invoice, rep, manager
):
    with pytest.raises(errors.InvalidRequest, match=WITHIN_LIMIT):
        ask_write_off(declined_invoice, manager)
    with pytest.raises(errors.InvalidTransition):
        ask_write_off(paid_invoice, rep)
    with pytest.raises(errors.ReasonRequired):
        ask_manager(declined_invoice, kind="write_off_invoice", params={}, actor=rep, reason="")
    assert not ApprovalRequest.objects.exists()


def test_a_write_off_request_is_refused_when_money_came_in_meanwhile(
    declined_invoice, rep, manager
):
    whole = ask_write_off(declined_invoice, rep)
    mark_invoice_paid(
        declined_invoice, amount=usd("40.00"), method="cash", actor=rep, reason="part"
    )
    moved = approve_request(whole, actor=manager)
    assert moved.status == Status.REFUSED
    assert moved.decision_note == (
        "What the rep was shown no longer holds: Due now was $100.00, now $60.00; "
        "Written off was $100.00, now $60.00."
    )
    again = ask_write_off(declined_invoice, rep)
    mark_invoice_paid(declined_invoice, method="cash", actor=rep, reason="the rest")
    paid = approve_request(again, actor=manager)
    assert paid.status == Status.REFUSED
    assert paid.decision_note == "Cannot write off this invoice: the invoice is paid."
    assert not Journal.objects.filter(kind="invoice_written_off").exists()


@pytest.mark.django_db(transaction=True)
def test_eight_managers_approving_a_write_off_at_once_write_it_off_once(
    contact, card, rep, manager
):
    bad = add_card(contact, token="pm_card_chargeDeclined", actor=manager, make_default=False)
    invoice = charge_sale(
        contact, lines=[SaleLine(ProductFactory())], payment_method=bad, actor=rep
    )
    request = ask_write_off(invoice, rep)
    managers = [factories.manager(username=f"m{i}") for i in range(8)]

    results = race(
        8,
        lambda i: approve_request(ApprovalRequest.objects.get(pk=request.pk), actor=managers[i]),
    )

    approved = [r for r in results if isinstance(r, ApprovalRequest)]
    refused = [r for r in results if isinstance(r, errors.BillingError)]
    assert len(approved) == 1 and len(refused) == 7, results
    assert approved[0].status == Status.APPROVED
    assert Journal.objects.filter(kind="invoice_written_off").count() == 1
    assert AuditEvent.objects.filter(action="invoice.written_off").count() == 1
    assert breaches() == []
