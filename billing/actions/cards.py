"""Cards on file: the gateway keeps the card, we keep its token and how to recognise it."""

import logging

from django.contrib.auth.models import User
from django.db import transaction

from billing import errors, events
from billing.gateways import get_gateway
from billing.gateways.base import GatewayError
from billing.models import Order, PaymentMethod
from billing.permissions import require, require_reason
from billing.steps import keys
from billing.steps.cards import ensure_customer
from billing.steps.ending import LIVE
from core import audit

log = logging.getLogger(__name__)

ADD_A_CARD = "Add a card first."
ONE_SOURCE = "Give a card token or a card setup, not both."
CARD_ON_ORDERS = "{orders} charge this card: set another card on them first."
LAST_CARD = (
    "{orders} charge the default card and this is the only usable one: add another card "
    "first, or cancel the orders."
)
ALREADY_REMOVED = "This card was already removed."


def add_card(
    contact,
    *,
    actor: User,
    token: str = "",
    setup: str = "",
    make_default: bool = True,
    retry_collections: bool = False,
    idempotency_key: str | None = None,
) -> PaymentMethod:
    """Put a card on the contact's file, never from a card number: `setup` is the card capture
    the browser confirmed with the processor (billing.steps.cards.start_capture), `token` a
    PaymentMethod made elsewhere (test tokens, the API). With `retry_collections` (the rep's
    choice on the form, which lists them), the contact's open collections are charged on it at
    once; otherwise no money moves."""
    require(actor, "manage_cards", "change cards on file")
    token, setup = (token or "").strip(), (setup or "").strip()
    if not (token or setup):
        raise errors.InvalidRequest(ADD_A_CARD, field="setup")
    if token and setup:
        raise errors.InvalidRequest(ONE_SOURCE, field="token")
    params = {
        "contact": contact.pk,
        "token": token,
        "setup": setup,
        "default": make_default,
        "retry": retry_collections,
    }
    # A replay must not attach the card at the gateway again: ask before the gateway call.
    if prior := keys.replay(idempotency_key, "add_card", params):
        return prior
    gateway = get_gateway()
    try:
        customer = ensure_customer(contact)
        if setup:
            details = gateway.finish_card_setup(customer=customer, setup_id=setup)
        else:
            details = gateway.attach_card(customer=customer, token=token)
    except GatewayError as exc:
        raise errors.GatewayRefused(str(exc), field="setup" if setup else "token") from None
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "add_card", params)
        if slot.prior:
            return slot.prior
        type(contact).objects.select_for_update().get(pk=contact.pk)
        # The same setup posted twice (a double click, a resent form) is the same card.
        if same := PaymentMethod.objects.filter(
            contact=contact, gateway=gateway.name, token=details.token
        ).first():
            slot.fill(same)
            return same
        first = not contact.payment_methods.usable().exists()
        if make_default or first:
            contact.payment_methods.filter(is_default=True).update(is_default=False)
        card = PaymentMethod.objects.create(
            contact=contact,
            gateway=gateway.name,
            token=details.token,
            brand=details.brand,
            last4=details.last4,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
            is_default=make_default or first,
        )
        audit.record(
            "card.added",
            card,
            actor=actor,
            contact_id=contact.pk,
            after={
                "card": str(card),
                "default": card.is_default,
                "retry_collections": retry_collections,
            },
        )
        events.announce(
            events.card_added,
            payment_method=card,
            actor=actor,
            retry_collections=retry_collections,
        )
        slot.fill(card)
    return card


def set_default_card(payment_method: PaymentMethod, *, actor: User) -> PaymentMethod:
    require(actor, "manage_cards", "change cards on file")
    with transaction.atomic(durable=True):
        contact = (
            type(payment_method.contact)
            .objects.select_for_update()
            .get(pk=payment_method.contact_id)
        )
        card = PaymentMethod.objects.select_for_update().get(pk=payment_method.pk)
        if not card.usable:
            raise errors.InvalidRequest(errors.CARD_NOT_USABLE, field="payment_method")
        before = contact.payment_methods.filter(is_default=True).first()
        contact.payment_methods.filter(is_default=True).update(is_default=False)
        card.is_default = True
        card.save(update_fields=["is_default"])
        audit.record(
            "card.made_default",
            card,
            actor=actor,
            contact_id=contact.pk,
            before={"card": str(before) if before else None},
            after={"card": str(card)},
        )
    return card


def remove_card(payment_method: PaymentMethod, *, actor: User, reason: str) -> PaymentMethod:
    """Take a card off the contact's file, and off the customer at the gateway, so nothing can
    charge it again. Refused while a live order names the card (the rep sets another card on
    it first: a silent switch would charge a card the customer did not choose), and for the
    default card while live orders charge the default and no other usable card is left. A
    removed default hands the default to the newest usable card. The row stays (payments
    point at it), inactive."""
    require(actor, "manage_cards", "change cards on file")
    reason = require_reason(reason)
    with transaction.atomic(durable=True):
        contact = (
            type(payment_method.contact)
            .objects.select_for_update()
            .get(pk=payment_method.contact_id)
        )
        card = PaymentMethod.objects.select_for_update().get(pk=payment_method.pk)
        if not card.active:
            raise errors.InvalidRequest(ALREADY_REMOVED, field="payment_method")
        live = Order.objects.filter(contact=contact, status__in=LIVE).order_by("pk")
        named = [
            f"Order #{pk}" for pk in live.filter(payment_method=card).values_list("pk", flat=True)
        ]
        if named:
            raise errors.InvalidRequest(CARD_ON_ORDERS.format(orders=", ".join(named)))
        successor = (
            contact.payment_methods.usable()
            .exclude(pk=card.pk)
            .order_by("-created_at", "-pk")
            .first()
        )
        if card.is_default and successor is None:
            on_default = [
                f"Order #{pk}"
                for pk in live.filter(
                    payment_method=None,
                    collection_method=Order.CollectionMethod.CHARGE_AUTOMATICALLY,
                ).values_list("pk", flat=True)
            ]
            if on_default:
                raise errors.InvalidRequest(LAST_CARD.format(orders=", ".join(on_default)))
        was_default = card.is_default
        card.active = False
        card.is_default = False
        card.save(update_fields=["active", "is_default"])
        if was_default and successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
        audit.record(
            "card.removed",
            card,
            actor=actor,
            contact_id=contact.pk,
            reason=reason,
            before={"card": str(card), "default": was_default},
            after={"default_card": str(successor) if was_default and successor else None},
        )
        customer = contact.gateway_customer
        transaction.on_commit(lambda: _detach(card, customer))
    return card


def _detach(card: PaymentMethod, customer: str) -> None:
    """After the removal commits: off the customer at the gateway too. A failure leaves a card
    Paydesk never charges again (it is inactive), so it is logged, not raised."""
    try:
        get_gateway(card.gateway).detach_card(customer=customer, token=card.token)
    except GatewayError:
        log.exception("Could not detach card %s at the gateway", card.pk)
