"""Requests above a rep's limit: asked by the rep, approved (run as the manager) or declined,
refused when what the rep was shown no longer holds, and carried out once however many
managers approve at the same moment."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from billing import errors
from billing.actions import (
    SaleLine,
    approve_request,
    ask_manager,
    charge_sale,
    decline_request,
    mark_invoice_paid,
    refund_payment,
)
from billing.actions.approvals import BEING_APPROVED, OWN_REQUEST, WITHIN_LIMIT
from billing.gateways import sandbox
from billing.invariants import breaches
from billing.models import (
    ApprovalRequest,
    InvoiceLine,
    Journal,
    Order,
    OrderChange,
    Refund,
    SandboxTransaction,
)
from core import clock, roles
from core.models import AuditEvent
from tests.billing.approval_requests import ask_refund
from tests.factories import ProductFactory, manager
from tests.helpers import race, usd

Status = ApprovalRequest.Status


def test_a_rep_asks_and_a_manager_refunds_as_themselves_with_both_names_in_the_audit(
    big_payment, rep, manager, emails, django_capture_on_commit_callbacks
):
    with pytest.raises(errors.AboveRepLimit):
        refund_payment(big_payment, actor=rep, reason="never arrived")
    with django_capture_on_commit_callbacks(execute=True):
        request = ask_refund(big_payment, rep)

    assert request.status == Status.PENDING
    # "Everything left" is fixed when asked: approval refunds what the rep was shown.
    assert request.params == {"amount": "900.00", "settle": "gateway"}
    assert request.preview == [
        ["Paid", "$900.00"],
        ["Left to refund", "$900.00"],
        ["Refund", "$900.00"],
        ["Paid back", "Through the gateway"],
    ]
    assert not Refund.objects.exists()
    assert [m.to for m in mail.outbox] == [["max@example.com"]]
    assert "never arrived" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        decided = approve_request(request, actor=manager, note="ok, long-standing customer")

    assert decided.status == Status.APPROVED
    assert decided.decided_by == manager
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.actor) == (usd("900.00"), "succeeded", manager)
    assert refund.reason == "never arrived"
    assert decided.outcome == "Refunded $900.00 (succeeded)."
    for action in ("refund.requested", "approval.approved"):
        event = AuditEvent.objects.get(action=action)
        assert event.actor == manager
        assert event.after["requested_by"] == "rita"
        assert event.after["approval_request"] == request.pk
    assert mail.outbox[-1].to == ["rita@example.com"]
    assert "approved" in mail.outbox[-1].subject
    assert breaches() == []


def test_a_rep_cannot_ask_for_what_they_may_do_or_what_the_action_refuses(
    big_payment, rep, manager
):
    with pytest.raises(errors.InvalidRequest, match=WITHIN_LIMIT):
        ask_refund(big_payment, rep, amount="100.00")
    # Managers have no limit: they never need to ask, so they cannot approve their own asks.
    with pytest.raises(errors.InvalidRequest, match=WITHIN_LIMIT):
        ask_refund(big_payment, manager)
    with pytest.raises(errors.InvalidAmount, match="left to refund"):
        ask_refund(big_payment, rep, amount="900.01")
    with pytest.raises(errors.ReasonRequired):
        ask_manager(
            big_payment, kind="refund_payment", params={"amount": None, "settle": "gateway"},
            actor=rep, reason="",
        )  # fmt: skip
    assert not ApprovalRequest.objects.exists()


def test_a_manager_declines_with_a_reason_and_nothing_moves(
    big_payment, rep, manager, emails, django_capture_on_commit_callbacks
):
    request = ask_refund(big_payment, rep)
    with pytest.raises(errors.ReasonRequired):
        decline_request(request, actor=manager, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        decided = decline_request(request, actor=manager, reason="used the product for months")

    assert (decided.status, decided.decision_note) == (
        Status.DECLINED,
        "used the product for months",
    )
    assert not Refund.objects.exists()
    event = AuditEvent.objects.get(action="approval.declined")
    assert (event.actor, event.reason, event.after["requested_by"]) == (
        manager,
        "used the product for months",
        "rita",
    )
    assert mail.outbox[-1].to == ["rita@example.com"]
    with pytest.raises(errors.InvalidTransition, match="the request is declined"):
        approve_request(request, actor=manager)


def test_a_refund_made_meanwhile_makes_the_request_refused_at_approval(big_payment, rep, manager):
    everything = ask_refund(big_payment, rep)
    part = ask_refund(big_payment, rep, amount="600.00")
    refund_payment(big_payment, amount=usd("100.00"), actor=manager, reason="part now")

    # The action itself refuses more than is left; a refund that still fits is refused too,
    # because the figures the rep was shown moved.
    refused = approve_request(everything, actor=manager)
    assert refused.status == Status.REFUSED
    assert (
        refused.decision_note
        == "The amount is more than the $800.00 left to refund on this payment."
    )
    moved = approve_request(part, actor=manager)
    assert moved.status == Status.REFUSED
    assert moved.decision_note == (
        "What the rep was shown no longer holds: Left to refund was $900.00, now $800.00."
    )
    assert list(Refund.objects.values_list("amount", flat=True)) == [usd("100.00").amount]
    assert AuditEvent.objects.filter(action="approval.refused", actor=manager).count() == 2


def test_a_request_the_action_would_now_refuse_is_refused_with_the_actions_reason(
    declined_invoice, rep, manager
):
    request = ask_manager(
        declined_invoice,
        kind="discount_invoice",
        params={"amount": "50.00", "percent": None, "description": "Discount"},
        actor=rep,
        reason="loyal",
    )
    mark_invoice_paid(declined_invoice, method="cash", actor=rep, reason="paid at the desk")

    decided = approve_request(request, actor=manager)

    assert decided.status == Status.REFUSED
    assert decided.decision_note == "Cannot discount this invoice: the invoice is paid."
    assert not InvoiceLine.objects.filter(kind=InvoiceLine.Kind.DISCOUNT).exists()


def test_an_approved_invoice_discount_is_posted_by_the_manager(declined_invoice, rep, manager):
    request = ask_manager(
        declined_invoice,
        kind="discount_invoice",
        params={"amount": None, "percent": "50.00", "description": "Loyalty"},
        actor=rep,
        reason="loyal",
    )
    assert request.preview == [
        ["Total", "$100.00"],
        ["Due now", "$100.00"],
        ["Discount", "$50.00"],
        ["Due after", "$50.00"],
    ]
    approve_request(request, actor=manager)

    line = InvoiceLine.objects.get(kind=InvoiceLine.Kind.DISCOUNT)
    assert (line.amount, line.description) == (usd("-50.00"), "Loyalty")
    journal = Journal.objects.get(kind="invoice_discounted")
    assert journal.actor == manager
    event = AuditEvent.objects.get(action="invoice.discounted")
    assert (event.actor, event.after["requested_by"]) == (manager, "rita")
    assert breaches() == []


def test_order_discounts_and_re_pricing_run_as_the_manager(subscription, rep, manager):
    discount = ask_manager(
        subscription,
        kind="discount_order",
        params={"amount": None, "percent": "40.00", "charges": 2},
        actor=rep,
        reason="retention offer",
    )
    reprice = ask_manager(
        subscription,
        kind="change_order_terms",
        params={"unit_price": "50.00", "quantity": None, "effective": "next_charge", "prorate": False},
        actor=rep,
        reason="matched a competitor",
    )  # fmt: skip
    assert discount.preview[:2] == [["Each charge now", "$100.00"], ["Each discounted charge", "$60.00"]]  # fmt: skip
    assert reprice.preview[:2] == [["Price now", "$100.00 × 1"], ["New price", "$50.00 × 1"]]

    assert approve_request(discount, actor=manager).status == Status.APPROVED
    # The discount changed nothing the re-pricing request showed: it still holds.
    assert approve_request(reprice, actor=manager).status == Status.APPROVED

    order = Order.objects.get(pk=subscription.pk)
    assert (order.discount_percent, order.discount_charges, order.unit_price) == (40, 2, usd("50"))
    changes = OrderChange.objects.filter(order=order).exclude(kind="opened")
    assert {(c.kind, c.actor_id) for c in changes} == {
        ("discounted", manager.pk),
        ("terms_changed", manager.pk),
    }


def test_a_price_change_that_a_day_has_made_stale_is_refused(subscription, rep, manager):
    request = ask_manager(
        subscription,
        kind="change_order_terms",
        params={"unit_price": "50.00", "quantity": None, "effective": "now", "prorate": True},
        actor=rep,
        reason="matched a competitor",
    )
    with clock.frozen_at(clock.now() + dt.timedelta(days=1)):
        decided = approve_request(request, actor=manager)
    assert decided.status == Status.REFUSED
    assert "Unused time" in decided.decision_note
    assert Order.objects.get(pk=subscription.pk).unit_price == usd("100.00")


def test_only_another_manager_decides(big_payment, rep, manager):
    request = ask_refund(big_payment, rep)
    with pytest.raises(errors.NotAllowed):
        approve_request(request, actor=rep)
    with pytest.raises(errors.NotAllowed):
        decline_request(request, actor=rep, reason="no")
    # A rep promoted since asking still cannot approve their own request.
    rep.groups.add(Group.objects.get(name=roles.MANAGER))
    promoted = type(rep).objects.get(pk=rep.pk)
    with pytest.raises(errors.NotAllowed, match=OWN_REQUEST):
        approve_request(request, actor=promoted)
    assert ApprovalRequest.objects.get().status == Status.PENDING
    assert not Refund.objects.exists()


def test_a_claimed_request_waits_for_its_approver_then_anyone_may_finish_it(
    big_payment, rep, manager
):
    request = ask_refund(big_payment, rep)
    ApprovalRequest.objects.filter(pk=request.pk).update(claimed_at=clock.now())
    with pytest.raises(errors.InvalidTransition, match=BEING_APPROVED):
        approve_request(request, actor=manager)
    with pytest.raises(errors.InvalidTransition, match=BEING_APPROVED):
        decline_request(request, actor=manager, reason="no")
    with clock.frozen_at(clock.now() + dt.timedelta(minutes=3)):  # the approver died
        assert approve_request(request, actor=manager).status == Status.APPROVED
    assert Refund.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_eight_managers_approving_at_once_refund_exactly_once(contact, card, rep):
    product = ProductFactory(name="Coaching", price=usd("900.00"))
    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    request = ask_refund(invoice.payments.get(), rep)
    managers = [manager(username=f"m{i}") for i in range(8)]

    results = race(
        8,
        lambda i: approve_request(ApprovalRequest.objects.get(pk=request.pk), actor=managers[i]),
    )

    approved = [r for r in results if isinstance(r, ApprovalRequest)]
    refused = [r for r in results if isinstance(r, errors.BillingError)]
    assert len(approved) == 1 and len(refused) == 7, results
    assert all(isinstance(r, errors.InvalidTransition) for r in refused)
    assert approved[0].status == Status.APPROVED
    assert Refund.objects.count() == 1
    assert Journal.objects.filter(kind="refund").count() == 1
    assert SandboxTransaction.objects.filter(kind="refund").count() == 1
    assert AuditEvent.objects.filter(action="approval.approved").count() == 1
    assert breaches() == []


def test_an_approved_refund_whose_answer_is_lost_is_approved_and_left_to_reconcile(
    big_payment, rep, manager
):
    request = ask_refund(big_payment, rep)
    sandbox.inject_timeout("after")
    decided = approve_request(request, actor=manager)

    assert decided.status == Status.APPROVED
    assert decided.outcome == "Refund of $900.00 sent; the gateway has not answered yet."
    assert Refund.objects.get().status == Refund.Status.UNKNOWN
    # Approving again changes nothing: the request is decided, the refund waits for reconcile.
    with pytest.raises(errors.InvalidTransition):
        approve_request(request, actor=manager)
    assert SandboxTransaction.objects.filter(kind="refund").count() == 1
