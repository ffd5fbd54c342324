"""Open orders, collections and dunning policies in a real browser (issue 4 and 5 screens)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.actions import SaleLine
from billing.gateways.sandbox import SandboxGateway
from billing.models import Order
from billing.tasks import charge_due_orders
from core import clock
from offers.actions import store_offer
from offers.terms import PaymentTerms
from tests.e2e.helpers import log_in, snap
from tests.e2e.test_rep_workspace import find_contact, refund_part, sell_offer_charging_card
from tests.helpers import usd

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def pause_order(page: Page, reason: str) -> None:
    # The last action's panel refreshes must land first, or they replace the panel under the
    # form being opened (a rep clicking that fast would have to click again).
    # networkidle is a page load state, reached once; htmx marks each element whose request is
    # in flight with .htmx-request, so wait for none.
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    orders = page.locator("#orders")
    orders.get_by_role("link", name="Pause", exact=True).first.click()
    form = page.locator("form.action-form")
    form.get_by_label("Reason").fill(reason)
    form.get_by_role("button", name="Pause order").click()
    expect(orders).to_contain_text("Paused")


def test_a_rep_sells_a_payment_plan_refunds_part_pauses_and_sees_each_step(
    page, rep, manager, contact, card, product
):
    plan = PaymentTerms.payment_plan(usd("100.00"), 3)
    store_offer(
        "Course in 4 payments",
        "USD",
        [SaleLine(product, unit_price=usd("400.00"), terms=plan)],
        actor=manager,
    )

    log_in(page, rep)
    find_contact(page, "Ada Lovelace")
    sell_offer_charging_card(page, "Course in 4 payments (v1) · USD", due="$100.00")
    orders = page.locator("#orders")
    expect(orders).to_contain_text("Payment plan")
    expect(orders.locator("tbody tr").first).to_contain_text("3")  # installments left

    refund_part(page, "30.00", "Started a week late")
    pause_order(page, "Customer travelling")

    history = page.locator("#history")
    expect(history).to_contain_text("Sale charged")
    expect(history).to_contain_text("Refund succeeded")
    expect(history).to_contain_text("Started a week late")
    expect(history).to_contain_text("Order paused")
    expect(history).to_contain_text("Customer travelling")
    expect(orders).to_contain_text("Customer travelling")  # the order's own change rows
    snap(page, "contact-record-orders")


def test_a_rep_previews_a_proration_then_changes_the_price(page, rep, subscription):
    log_in(page, rep)
    page.goto(subscription.contact.get_absolute_url())
    page.locator("#orders").get_by_role("link", name="Change price").click()
    form = page.locator("form.action-form")
    form.get_by_label("New unit price").fill("130.00")
    form.get_by_label("Now", exact=True).check()
    form.get_by_label(re.compile("^Prorate")).check()
    preview = page.locator("#action-preview")
    expect(preview).to_contain_text("Net due now")
    expect(preview).to_contain_text("$30.00")
    form.get_by_label("Reason").fill("Upgraded to the team plan")
    snap(page, "order-proration-preview")

    form.get_by_role("button", name="Change terms").click()
    expect(page.locator("#orders")).to_contain_text("$130.00 × 1")
    expect(page.locator("#history")).to_contain_text("Order price or quantity changed")


@pytest.fixture
def in_collections(subscription, card):
    sold = timezone.now() - dt.timedelta(days=40)
    Order.objects.filter(pk=subscription.pk).update(
        next_charge_on=sold.date() + dt.timedelta(days=31)
    )
    SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclinedInsufficientFunds")
    with clock.frozen_at(sold + dt.timedelta(days=31)):
        charge_due_orders()
    return subscription


def test_a_rep_works_the_collections_queue(page, rep, in_collections):
    log_in(page, rep)
    page.get_by_role("link", name="Collections").click()
    row = page.locator("#cases tbody tr").first
    expect(row).to_contain_text("Ada Lovelace")
    expect(row).to_contain_text("Insufficient funds")
    snap(page, "collections")

    row.get_by_role("link", name="Stop").click()
    form = page.locator("form.action-form")
    form.get_by_label("Reason").fill("Paying by bank transfer")
    form.get_by_role("button", name="Stop collection").click()
    expect(page.locator("#cases")).to_contain_text("Nothing is being collected")

    page.goto(in_collections.contact.get_absolute_url())
    expect(page.locator("#history")).to_contain_text("Collection started")
    expect(page.locator("#history")).to_contain_text("Collection stopped")


def test_a_manager_sets_up_a_dunning_policy_with_a_preview(page, manager):
    log_in(page, manager)
    page.get_by_role("link", name="Dunning policies").click()
    page.get_by_role("link", name="New policy").click()
    page.get_by_role("textbox", name="Name:").fill("Gentle weekly")
    page.get_by_label("Retry every (days)").fill("7")
    page.get_by_label("For (days)").fill("28")
    page.get_by_label("Final action").select_option(label="Pause the order")
    preview = page.locator("#attempt-preview")
    expect(preview).to_contain_text("4 retries")
    expect(preview).to_contain_text("Pause the order")
    snap(page, "dunning-policy")

    page.get_by_role("button", name="Save policy").click()
    expect(page.locator("#flash")).to_contain_text("Gentle weekly")
    expect(page.locator("main")).to_contain_text("7, 14, 21, 28")
