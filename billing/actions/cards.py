"""Cards on file: the gateway keeps the card, we keep its token and how to recognise it."""

from django.contrib.auth.models import User
from django.db import transaction

from billing import errors, events
from billing.gateways import get_gateway
from billing.gateways.base import GatewayError
from billing.models import PaymentMethod
from billing.permissions import require
from billing.steps import keys
from core import audit


def _ensure_customer(contact) -> str:
    if contact.gateway_customer:
        return contact.gateway_customer
    ref = get_gateway().create_customer(email=contact.email, name=contact.name)
    # Compare-and-set: if another request created one first, use theirs.
    type(contact).objects.filter(pk=contact.pk, gateway_customer="").update(gateway_customer=ref)
    contact.refresh_from_db(fields=["gateway_customer"])
    return contact.gateway_customer


def add_card(
    contact,
    *,
    token: str,
    actor: User,
    make_default: bool = True,
    retry_collections: bool = False,
    idempotency_key: str | None = None,
) -> PaymentMethod:
    """Attach a gateway card token (never a card number) to the contact. With
    `retry_collections` (the rep's choice on the form, which lists them), the contact's open
    collections are charged on it at once; otherwise no money moves."""
    require(actor, "manage_cards", "change cards on file")
    token = (token or "").strip()
    if not token:
        raise errors.InvalidRequest("Add a card first.", field="token")
    params = {
        "contact": contact.pk,
        "token": token,
        "default": make_default,
        "retry": retry_collections,
    }
    # A replay must not attach the card at the gateway again: ask before the gateway call.
    if prior := keys.replay(idempotency_key, "add_card", params):
        return prior
    gateway = get_gateway()
    try:
        details = gateway.attach_card(customer=_ensure_customer(contact), token=token)
    except GatewayError as exc:
        raise errors.GatewayRefused(str(exc), field="token") from None
    with transaction.atomic(durable=True):
        slot = keys.claim(idempotency_key, "add_card", params)
        if slot.prior:
            return slot.prior
        type(contact).objects.select_for_update().get(pk=contact.pk)
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
