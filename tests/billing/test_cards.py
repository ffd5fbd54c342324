"""Cards on file: removing one, and the warnings for cards that expire before their next charge."""

import datetime as dt

import pytest
from django.urls import reverse

from billing import errors
from billing.actions import SaleLine, add_card, charge_sale, remove_card, set_order_card
from billing.gateways.sandbox import SandboxGateway
from billing.models import PaymentMethod, SandboxCard
from billing.tasks import charge_due_orders
from core import clock
from core.models import AuditEvent
from dunning.models import DunningCase
from offers.terms import PaymentTerms
from tests.helpers import HTMX, counts, sandbox_setup, text

SOLD = dt.datetime(2027, 1, 10, 9, tzinfo=dt.UTC)


def test_removing_a_card_takes_it_off_the_file_and_the_gateway(
    contact, card, manager, django_capture_on_commit_callbacks
):
    spare = add_card(contact, token="pm_card_amex", actor=manager, make_default=False)
    with django_capture_on_commit_callbacks(execute=True):
        remove_card(card, actor=manager, reason="Customer asked")

    card.refresh_from_db()
    spare.refresh_from_db()
    assert (card.active, card.is_default, card.usable) == (False, False, False)
    assert spare.is_default  # the default moved to the card left
    assert SandboxCard.objects.get(token=card.token).customer == ""  # detached
    event = AuditEvent.objects.get(action="card.removed")
    assert (event.actor, event.reason) == (manager, "Customer asked")
    with pytest.raises(errors.InvalidRequest, match="already removed"):
        remove_card(card, actor=manager, reason="again")


def test_removing_needs_a_reason_and_the_permission(contact, card, manager, outsider):
    before = counts()
    with pytest.raises(errors.ReasonRequired):
        remove_card(card, actor=manager, reason=" ")
    with pytest.raises(errors.NotAllowed):
        remove_card(card, actor=outsider, reason="x")
    assert counts() == before


def test_a_card_a_live_order_charges_is_not_removed(contact, card, manager, subscription):
    before = counts()
    with pytest.raises(errors.InvalidRequest, match=f"Order #{subscription.pk} charge"):
        remove_card(card, actor=manager, reason="Customer asked")
    assert counts() == before

    # Once the order charges another card, it can go.
    spare = add_card(contact, token="pm_card_amex", actor=manager, make_default=False)
    set_order_card(subscription, payment_method=spare, actor=manager, retry_now=False)
    remove_card(card, actor=manager, reason="Customer asked")
    assert not PaymentMethod.objects.get(pk=card.pk).active


def test_the_rep_removes_a_card_from_the_record(rep_client, contact, card):
    url = reverse("billing:card-remove", args=[card.pk])
    assert "Kept in the record" in text(rep_client.get(url, **HTMX))
    assert rep_client.post(url, {}, **HTMX).status_code == 422  # no reason
    response = rep_client.post(url, {"reason": "Customer asked"}, **HTMX)
    assert response.status_code == 200
    assert "removed" in response["HX-Trigger"] or "removed" in text(response)
    page = text(rep_client.get(contact.get_absolute_url()))
    assert "No card on file." in page


@pytest.fixture
def expiring(contact, product, rep, manager):
    """A monthly subscription sold on 10 Jan 2027 on a card that expires at the end of January,
    so its first renewal (10 Feb) falls after the card's expiry."""
    with clock.frozen_at(SOLD):
        card = add_card(contact, setup=sandbox_setup(contact, expiry=(1, 27)), actor=manager)
        line = SaleLine(product, terms=PaymentTerms.subscription())
        charge_sale(contact, lines=[line], payment_method=card, actor=rep)
    add_card(contact, token="pm_card_amex", actor=manager, make_default=False)  # 12/2034
    return card


def test_the_record_warns_of_a_card_that_expires_before_its_next_charge(
    rep_client, contact, expiring
):
    page = text(rep_client.get(contact.get_absolute_url()))
    assert page.count("Expires before the charge on") == 1
    assert "Expires before the charge on 10 Feb 2027" in page


def test_collections_warn_when_the_card_expires_before_the_next_attempt(
    rep_client, contact, expiring, django_capture_on_commit_callbacks
):
    SandboxGateway().set_card_behaviour(expiring.token, "pm_card_chargeDeclined")
    with (
        clock.frozen_at(SOLD + dt.timedelta(days=31)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        charge_due_orders()
    assert DunningCase.objects.filter(contact=contact).exists()

    page = text(rep_client.get(reverse("dunning:collections")))
    assert "Card expires first" in page
    assert str(expiring) in page
