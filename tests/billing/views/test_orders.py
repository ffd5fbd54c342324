"""Every open-order action view: login, role, bad input (422, nothing written), success."""

import datetime as dt

import pytest
from django.urls import reverse

from billing import errors, limits
from billing.actions import SaleLine, add_card, charge_sale
from billing.models import Invoice, Order, OrderChange, Refund
from core import clock
from offers.terms import PaymentTerms
from tests.helpers import HTMX, counts, text, usd

ACTIONS = [
    "order-change-terms",
    "order-reschedule",
    "order-pause",
    "order-resume",
    "order-cancel",
    "order-discount",
    "order-set-card",
]


def url(name: str, order: Order) -> str:
    return reverse(f"billing:{name}", args=[order.pk])


def later(days: int) -> str:
    return (clock.today() + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize("name", ACTIONS)
def test_it_requires_login(client, subscription, name):
    response = client.post(url(name, subscription))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ACTIONS)
def test_it_refuses_users_without_the_role(outsider_client, subscription, name):
    before = counts()
    response = outsider_client.post(url(name, subscription), {"reason": "x", "at": "now"})
    assert response.status_code == 403
    assert counts() == before


def test_the_record_lists_the_order_with_its_actions(rep_client, subscription):
    page = text(rep_client.get(subscription.contact.get_absolute_url()))
    assert f"#{subscription.pk} Masterclass" in page
    assert "$100.00 × 1" in page
    assert "Visa •••• 4242" in page
    for label in ("Change price", "Reschedule", "Pause", "Cancel", "Discount", "Change card"):
        assert f">{label}</a>" in page


def test_the_orders_panel_refreshes_on_its_own(rep_client, subscription):
    response = rep_client.get(subscription.contact.get_absolute_url(), {"panel": "orders"}, **HTMX)
    assert response.content.lstrip().startswith(b'<section id="orders"')


def test_it_changes_the_price_from_the_next_charge(rep_client, subscription):
    data = {"unit_price": "120.00", "effective": "next_charge", "reason": "New price list"}
    response = rep_client.post(url("order-change-terms", subscription), data, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#orders"
    assert "money-changed" in response["HX-Trigger"]
    subscription.refresh_from_db()
    assert subscription.unit_price == usd("120.00")
    change = OrderChange.objects.get(order=subscription, kind="terms_changed")
    assert change.reason == "New price list"
    assert "unit price: $100.00 → $120.00" in text(response)  # shown under the order


def test_the_proration_preview_shows_credit_charge_and_net_and_writes_nothing(
    rep_client, subscription
):
    before = counts()
    data = {"unit_price": "130.00", "effective": "now", "prorate": "on", "intent": "preview"}
    response = rep_client.post(url("order-change-terms", subscription), data, **HTMX)

    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<div id="action-preview"')
    page = text(response)
    assert "Credit for unused time" in page and "-$100.00" in page
    assert "Charge for the remaining time" in page and "$130.00" in page
    assert "Net due now" in page and "$30.00" in page
    assert counts() == before
    subscription.refresh_from_db()
    assert subscription.unit_price == usd("100.00")


def test_a_rep_whose_day_is_ahead_prorates_from_the_business_day(
    rep_client, contact, card, product, rep
):
    """Times show in the rep's own zone; the money's calendar is the business's (UTC here)."""
    rep_client.post(reverse("core:timezone-set"), {"tz": "Pacific/Kiritimati"})  # UTC+14
    late = dt.datetime(2027, 3, 10, 23, 30, tzinfo=dt.UTC)  # 11 March already for the rep
    with clock.frozen_at(late):
        line = SaleLine(product, terms=PaymentTerms.subscription())
        invoice = charge_sale(contact, lines=[line], payment_method=card, actor=rep)
        order = Order.objects.get(source_invoice=invoice)
        data = {"unit_price": "130.00", "effective": "now", "prorate": "on", "intent": "preview"}
        page = text(rep_client.post(url("order-change-terms", order), data, **HTMX))
    assert "31 of 31 days" in page
    assert "Net due now" in page and "$30.00" in page


def test_the_preview_button_works_without_javascript(rep_client, subscription):
    before = counts()
    data = {"quantity": "2", "effective": "now", "prorate": "on", "intent": "preview"}
    response = rep_client.post(url("order-change-terms", subscription), data)

    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert "Net due now" in text(response)
    assert counts() == before


def test_a_prorated_change_now_charges_what_the_preview_said(rep_client, subscription):
    data = {"unit_price": "130.00", "effective": "now", "prorate": "on", "reason": "Upgrade"}
    rep_client.post(url("order-change-terms", subscription), data, **HTMX)

    prorated = Invoice.objects.get(order=subscription)  # the sale's invoice is the order's source
    assert prorated.status == Invoice.Status.PAID
    assert prorated.payments.get().amount == usd("30.00")


def test_a_payment_plans_price_cannot_change(rep_client, plan):
    before = counts()
    data = {"unit_price": "50.00", "effective": "next_charge", "reason": "x"}
    response = rep_client.post(url("order-change-terms", plan), data, **HTMX)

    assert response.status_code == 422
    assert "A payment plan's amounts are fixed." in text(response)
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"unit_price": "120.00", "effective": "now"}, errors.REASON_REQUIRED),
        ({"unit_price": "1.005", "effective": "now", "reason": "x"}, "at most 2 decimals"),
        ({"effective": "now", "reason": "x"}, "Give a new price or quantity."),
    ],
)
def test_bad_terms_are_refused_at_the_field(rep_client, subscription, data, message):
    before = counts()
    response = rep_client.post(url("order-change-terms", subscription), data, **HTMX)
    assert response.status_code == 422
    assert message in text(response)
    assert counts() == before


def test_it_reschedules_the_next_charge(rep_client, subscription):
    data = {"next_charge_on": later(40), "move_anchor": "on", "reason": "Customer asked"}
    response = rep_client.post(url("order-reschedule", subscription), data, **HTMX)

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.next_charge_on.isoformat() == later(40)
    assert subscription.anchor_on.isoformat() == later(40)


def test_a_date_in_the_past_is_refused(rep_client, subscription):
    before = counts()
    data = {"next_charge_on": later(-1), "reason": "x"}
    response = rep_client.post(url("order-reschedule", subscription), data, **HTMX)
    assert response.status_code == 422
    assert "Choose today or a later date." in text(response)
    assert counts() == before


def test_it_pauses_and_resumes_an_order(rep_client, subscription):
    data = {"resume_on": later(20), "reason": "Travelling"}
    response = rep_client.post(url("order-pause", subscription), data, **HTMX)
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == Order.Status.PAUSED
    assert subscription.pause_until.isoformat() == later(20)

    response = rep_client.post(url("order-resume", subscription), {}, **HTMX)
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == Order.Status.ACTIVE


def test_pausing_until_a_past_date_is_refused(rep_client, subscription):
    before = counts()
    data = {"resume_on": later(0), "reason": "x"}
    response = rep_client.post(url("order-pause", subscription), data, **HTMX)
    assert response.status_code == 422
    assert "Resume on a later date than today." in text(response)
    assert counts() == before


def test_resuming_an_active_order_is_refused(rep_client, subscription):
    before = counts()
    response = rep_client.post(url("order-resume", subscription), {}, **HTMX)
    assert response.status_code == 422
    assert "Cannot resume this order: the order is active." in text(response)
    assert counts() == before


def test_it_cancels_at_the_end_of_the_term(rep_client, subscription):
    data = {"at": "end_of_term", "reason": "Not needed"}
    response = rep_client.post(url("order-cancel", subscription), data, **HTMX)
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.cancel_at == subscription.current_period_end
    assert subscription.next_charge_on is None


def test_cancelling_now_refunds_what_the_preview_shows(rep_client, subscription):
    preview = rep_client.post(
        url("order-cancel", subscription),
        {"at": "now", "refund_unused": "on", "intent": "preview"},
        **HTMX,
    )
    days = (subscription.current_period_end - subscription.current_period_start).days
    assert f"Unused time ({days} of {days} days)" in text(preview)
    assert "$100.00" in text(preview)

    data = {"at": "now", "refund_unused": "on", "reason": "Changed their mind"}
    response = rep_client.post(url("order-cancel", subscription), data, **HTMX)
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == Order.Status.CANCELLED
    assert Refund.objects.get().amount == usd("100.00")


def test_a_cancel_without_a_reason_is_refused(rep_client, subscription):
    before = counts()
    response = rep_client.post(url("order-cancel", subscription), {"at": "now"}, **HTMX)
    assert response.status_code == 422
    assert errors.REASON_REQUIRED in text(response)
    assert counts() == before


def test_it_discounts_the_next_charges(rep_client, subscription):
    data = {"percent": "10", "charges": "3", "reason": "Loyalty"}
    response = rep_client.post(url("order-discount", subscription), data, **HTMX)
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert (subscription.discount_percent, subscription.discount_charges) == (10, 3)


def test_a_discount_above_the_rep_limit_is_refused(rep_client, subscription):
    before = counts()
    data = {"percent": "50", "charges": "1", "reason": "x"}
    response = rep_client.post(url("order-discount", subscription), data, **HTMX)
    assert response.status_code == 422
    message = limits.ORDER_DISCOUNT_LEFT.format(left="USD 20.00", limit=20, reference="USD 100.00")
    assert message in text(response)
    assert counts() == before


def test_it_moves_the_order_to_another_card(rep_client, subscription, manager):
    other = add_card(subscription.contact, token="pm_card_mastercard", actor=manager)
    data = {"payment_method": other.pk, "retry_now": "on"}
    response = rep_client.post(url("order-set-card", subscription), data, **HTMX)
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.payment_method == other


def test_another_contacts_card_is_refused(rep_client, subscription, manager):
    from tests.factories import ContactFactory

    stranger = add_card(ContactFactory(), token="pm_card_visa", actor=manager)
    before = counts()
    data = {"payment_method": stranger.pk}
    response = rep_client.post(url("order-set-card", subscription), data, **HTMX)
    assert response.status_code == 422
    assert "Select a valid choice" in text(response)
    assert counts() == before


def test_a_plan_shows_its_remaining_installments(rep_client, plan):
    response = rep_client.get(plan.contact.get_absolute_url())
    order = next(o for o in response.context["record"].orders if o.pk == plan.pk)
    assert order.remaining_installments == 3
    assert "Payment plan" in text(response)


def test_a_double_submitted_order_form_acts_once(rep_client, subscription):
    data = {"resume_on": later(20), "reason": "Travelling", "key": "pause-form-1"}
    first = rep_client.post(url("order-pause", subscription), data, **HTMX)
    again = rep_client.post(url("order-pause", subscription), data, **HTMX)
    assert first.status_code == again.status_code == 200
    assert OrderChange.objects.filter(order=subscription, kind="paused").count() == 1
