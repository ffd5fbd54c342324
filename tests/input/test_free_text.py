"""Card numbers never get in through free text: refused with a field error at the form, and at
the action for callers without one, before anything is written."""

import pytest
from django.urls import reverse

from billing.actions import refund_payment, void_invoice
from billing.errors import InvalidRequest
from core.validators import CARD_NUMBER_REFUSED, holds_card_number
from dunning.actions import stop_collection
from tests.helpers import HTMX, counts, text
from tests.input.world import build_world, row_counts

TYPED = "4000 0566 5566 5556 exp 12/30 cvc 123"


@pytest.mark.parametrize(
    "value",
    [
        "4000 0566 5566 5556",
        "4000-0566-5566-5556",
        "4242424242424242",
        "card 378282246310005 ok",
        "42424242-4242-4242-4242-424242424242",  # digits in a UUID's shape are still read
    ],
)
def test_a_luhn_valid_run_of_13_to_19_digits_is_a_card_number(value):
    assert holds_card_number(value)


@pytest.mark.parametrize(
    "value",
    [
        "4000 0566 5566 5557",
        "INV-000042",
        "1234 5678",
        "sha 4242424242424242abc",
        # A webhook endpoint's UUID whose first groups read 4242424242424242 (Luhn-valid).
        "https://pay.example.com/stripe/webhook/42424242-4242-4242-abcd-0123456789ab/",
    ],
)
def test_other_numbers_are_not(value):
    assert not holds_card_number(value)


@pytest.mark.sends_card_numbers
def test_a_refund_reason_holding_a_card_number_is_refused_at_the_form(rep_client, paid_invoice):
    payment = paid_invoice.payments.get()
    before = counts()
    url = reverse("billing:payment-refund", args=[payment.pk])
    response = rep_client.post(url, {"settle": "gateway", "reason": TYPED}, **HTMX)
    assert response.status_code == 422
    assert CARD_NUMBER_REFUSED in text(response)
    assert counts() == before


def test_an_action_refuses_a_card_number_in_a_reason_without_a_form(
    paid_invoice, declined_invoice, rep
):
    before = counts()
    with pytest.raises(InvalidRequest) as refused:
        refund_payment(paid_invoice.payments.get(), actor=rep, reason=TYPED)
    assert refused.value.field == "reason"
    with pytest.raises(InvalidRequest):
        void_invoice(declined_invoice, actor=rep, reason=TYPED)
    assert counts() == before


def test_a_collection_stop_reason_is_checked_at_the_action(
    manager, rep, django_capture_on_commit_callbacks
):
    world = build_world(manager, rep, django_capture_on_commit_callbacks)
    before = row_counts()
    with pytest.raises(InvalidRequest):
        stop_collection(world.open_invoice, actor=rep, reason=TYPED)
    with pytest.raises(InvalidRequest):
        stop_collection(world.open_invoice, actor=rep, reason="x" * 201)
    assert row_counts() == before


@pytest.mark.sends_card_numbers
@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("contacts:contact-create", {"first_name": "Eve", "currency": "USD", "company": TYPED}),
        ("offers:product-create", {"name": TYPED, "sku": "B1", "price_0": "10", "price_1": "USD"}),
    ],
)
def test_contact_and_catalogue_texts_refuse_card_numbers(manager_client, url_name, data):
    before = counts()
    response = manager_client.post(reverse(url_name), data)
    assert response.status_code == 422
    assert CARD_NUMBER_REFUSED in text(response)
    assert counts() == before


@pytest.mark.sends_card_numbers
def test_a_notice_template_refuses_a_card_number(manager_client):
    data = {"name": "Patient", "interval_days": "3", "window_days": "30", "max_attempts": "5"}
    data["final_action"] = "leave"
    for kind in ("first", "further", "final"):
        data[f"{kind}-subject"] = "Hello"
        data[f"{kind}-body_text"] = f"Pay with {TYPED}"
    response = manager_client.post(reverse("dunning:policy-create"), data)
    assert response.status_code == 422
    assert CARD_NUMBER_REFUSED in text(response)
