"""The "Ask a manager" offer on the action forms, the managers' queue, and the record's panel."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.actions import SaleLine, add_card, ask_manager, charge_sale
from billing.models import ApprovalRequest, Order, Refund
from tests.factories import ProductFactory
from tests.helpers import HTMX, counts, text, usd

ASK = "Ask a manager"


@pytest.fixture
def big_invoice(contact, card, rep):
    product = ProductFactory(name="Coaching", price=usd("900.00"))
    return charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)


def _refund_url(invoice) -> str:
    return reverse("billing:payment-refund", args=[invoice.payments.get().pk])


def test_a_refusal_for_the_limit_offers_to_ask_a_manager(rep_client, big_invoice):
    data = {"amount": "", "settle": "gateway", "reason": "never arrived"}
    response = rep_client.post(_refund_url(big_invoice), data, **HTMX)
    assert response.status_code == 422
    assert "a manager can do more" in text(response)
    assert ASK in text(response)


def test_other_refusals_offer_nothing(rep_client, big_invoice):
    data = {"amount": "950.00", "settle": "gateway", "reason": "never arrived"}
    response = rep_client.post(_refund_url(big_invoice), data, **HTMX)
    assert response.status_code == 422
    assert "left to refund" in text(response)
    assert ASK not in text(response)


def test_asking_stores_the_request_and_shows_it_on_the_record(rep_client, big_invoice):
    before = counts()
    data = {"amount": "", "settle": "gateway", "reason": "never arrived", "intent": "ask"}
    response = rep_client.post(_refund_url(big_invoice), data, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#approvals"
    assert "Refund $900.00 on" in text(response)
    assert "Waiting for a manager" in text(response)
    request = ApprovalRequest.objects.get()
    assert (request.kind, request.params["amount"]) == ("refund_payment", "900.00")
    assert counts()["Refund"] == before["Refund"]


def test_asking_without_a_reason_keeps_the_offer(rep_client, big_invoice):
    data = {"amount": "", "settle": "gateway", "reason": "", "intent": "ask"}
    response = rep_client.post(_refund_url(big_invoice), data, **HTMX)
    assert response.status_code == 422
    assert ASK in text(response)
    assert not ApprovalRequest.objects.exists()


def test_reps_cannot_open_the_queue_or_decide(rep_client, big_invoice):
    rep_client.post(
        _refund_url(big_invoice),
        {"settle": "gateway", "reason": "never arrived", "intent": "ask"},
    )
    request = ApprovalRequest.objects.get()
    assert rep_client.get(reverse("billing:approval-list")).status_code == 403
    approve = reverse("billing:approval-approve", args=[request.pk])
    assert rep_client.post(approve, {"note": ""}).status_code == 403
    decline = reverse("billing:approval-decline", args=[request.pk])
    assert rep_client.post(decline, {"reason": "no"}).status_code == 403
    assert ApprovalRequest.objects.get().status == "pending"


def test_a_manager_approves_from_the_queue(client, rep, manager, big_invoice):
    client.force_login(rep)
    client.post(
        _refund_url(big_invoice),
        {"settle": "gateway", "reason": "never arrived", "intent": "ask"},
    )
    request = ApprovalRequest.objects.get()
    client.force_login(manager)

    queue = client.get(reverse("billing:approval-list"))
    assert "Refund $900.00 on" in text(queue) and "never arrived" in text(queue)
    form = client.get(reverse("billing:approval-approve", args=[request.pk]), **HTMX)
    assert "Left to refund" in text(form)
    response = client.post(
        reverse("billing:approval-approve", args=[request.pk]),
        {"note": "fine"},
        **HTMX,
        HTTP_HX_CURRENT_URL="http://testserver" + reverse("billing:approval-list"),
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#approvals"
    assert "Nothing is waiting for a manager." in text(response)
    assert Refund.objects.get().actor == manager

    client.force_login(rep)
    record = client.get(big_invoice.contact.get_absolute_url())
    assert "Approved" in text(record) and "Refunded $900.00 (succeeded)." in text(record)


def test_a_decision_on_its_own_page_goes_back_to_the_queue(client, rep, manager, big_invoice):
    client.force_login(rep)
    client.post(
        _refund_url(big_invoice),
        {"settle": "gateway", "reason": "never arrived", "intent": "ask"},
    )
    request = ApprovalRequest.objects.get()
    client.force_login(manager)
    page = reverse("billing:approval-approve", args=[request.pk])

    response = client.post(
        page, {"note": "fine"}, **HTMX, HTTP_HX_CURRENT_URL="http://testserver" + page
    )

    assert response["HX-Redirect"] == reverse("billing:approval-list")
    assert Refund.objects.get().actor == manager
    queue = client.get(reverse("billing:approval-list"))
    assert "Approved" in text(queue) and "Nothing is waiting for a manager." in text(queue)


def test_a_manager_declines_from_the_queue(client, rep, manager, big_invoice):
    client.force_login(rep)
    client.post(
        _refund_url(big_invoice),
        {"settle": "gateway", "reason": "never arrived", "intent": "ask"},
    )
    request = ApprovalRequest.objects.get()
    client.force_login(manager)
    decline = reverse("billing:approval-decline", args=[request.pk])
    assert client.post(decline, {"reason": ""}, **HTMX).status_code == 422
    response = client.post(decline, {"reason": "tracking says delivered"})
    assert response.status_code == 302
    assert not Refund.objects.exists()

    client.force_login(rep)
    record = text(client.get(big_invoice.contact.get_absolute_url()))
    assert "Declined" in record and "tracking says delivered" in record


def test_a_rep_asks_for_an_order_discount_above_the_limit(rep_client, subscription):
    url = reverse("billing:order-discount", args=[subscription.pk])
    data = {"percent": "50", "charges": "1", "reason": "retention"}
    refused = rep_client.post(url, data, **HTMX)
    assert refused.status_code == 422 and ASK in text(refused)

    asked = rep_client.post(url, {**data, "intent": "ask"}, **HTMX)
    assert asked.status_code == 200
    request = ApprovalRequest.objects.get()
    assert request.params == {"amount": None, "percent": "50", "charges": 1}
    assert Order.objects.get(pk=subscription.pk).discount_charges == 0


def test_a_rep_asks_for_a_re_pricing_above_the_limit(rep_client, subscription):
    url = reverse("billing:order-change-terms", args=[subscription.pk])
    data = {"unit_price": "10.00", "effective": "next_charge", "reason": "hardship"}
    refused = rep_client.post(url, data, **HTMX)
    assert refused.status_code == 422 and ASK in text(refused)
    assert rep_client.post(url, {**data, "intent": "ask"}, **HTMX).status_code == 200
    assert ApprovalRequest.objects.get().kind == "change_order_terms"


def test_the_queue_runs_the_same_queries_however_many_requests_wait(
    client, contact, product, rep, manager
):
    bad = add_card(contact, token="pm_card_chargeDeclined", actor=manager, make_default=False)
    client.force_login(manager)

    def ask_and_count(n: int) -> int:
        for _ in range(n):
            invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=bad, actor=rep)
            ask_manager(
                invoice,
                kind="discount_invoice",
                params={"amount": "50.00", "percent": None, "description": "Discount"},
                actor=rep,
                reason="loyal",
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("billing:approval-list")).status_code == 200
        return len(queries)

    assert ask_and_count(2) == ask_and_count(8)
    assert ApprovalRequest.objects.count() == 10


def test_a_rep_asks_a_manager_to_write_off_and_the_manager_approves(
    client, rep, manager, declined_invoice
):
    client.force_login(rep)
    record = text(client.get(declined_invoice.contact.get_absolute_url()))
    assert "Ask to write off" in record
    url = reverse("billing:invoice-write-off", args=[declined_invoice.pk])
    form = client.get(url, **HTMX)
    assert form.status_code == 200
    assert "Only a manager may write off an invoice" in text(form)
    assert ASK in text(form)
    assert ">Write off</button>" not in form.content.decode()  # the rep's one button asks

    # Posted without asking (no JavaScript, or forged), the action itself refuses the rep.
    refused = client.post(url, {"reason": "moved abroad"}, **HTMX)
    assert refused.status_code == 422 and ASK in text(refused)
    asked = client.post(url, {"reason": "moved abroad", "intent": "ask"}, **HTMX)
    assert asked.status_code == 200
    assert asked["HX-Retarget"] == "#approvals"
    request = ApprovalRequest.objects.get()
    assert (request.kind, request.params) == ("write_off_invoice", {"amount": "100.00"})
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == "open"

    client.force_login(manager)
    manager_record = text(client.get(declined_invoice.contact.get_absolute_url()))
    assert "Ask to write off" not in manager_record
    form = client.get(reverse("billing:approval-approve", args=[request.pk]), **HTMX)
    assert "Written off" in text(form) and "$100.00" in text(form)
    client.post(reverse("billing:approval-approve", args=[request.pk]), {"note": "ok"})

    declined_invoice.refresh_from_db()
    assert declined_invoice.status == "written_off"
    client.force_login(rep)
    record = text(client.get(declined_invoice.contact.get_absolute_url()))
    assert "Approved" in record and f"{declined_invoice.number} written off." in record


def test_a_manager_writes_off_without_asking(manager_client, declined_invoice):
    url = reverse("billing:invoice-write-off", args=[declined_invoice.pk])
    form = manager_client.get(url, **HTMX)
    assert ">Write off</button>" in form.content.decode() and ASK not in text(form)
    assert manager_client.post(url, {"reason": "gone"}).status_code == 302
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == "written_off"
    assert not ApprovalRequest.objects.exists()
