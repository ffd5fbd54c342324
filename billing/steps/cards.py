"""Cards at the gateway: the contact's customer there, starting a card capture, and what a
charge's outcome teaches us about the card that made it."""

from billing.gateways import get_gateway
from billing.gateways.base import CardSetup
from billing.models import Payment, PaymentMethod
from core import audit


def ensure_customer(contact) -> str:
    """The contact's customer at the gateway, created on first need (one per contact)."""
    if contact.gateway_customer:
        return contact.gateway_customer
    ref = get_gateway().create_customer(email=contact.email, name=contact.name)
    # Compare-and-set: if another request created one first, use theirs.
    type(contact).objects.filter(pk=contact.pk, gateway_customer="").update(gateway_customer=ref)
    contact.refresh_from_db(fields=["gateway_customer"])
    return contact.gateway_customer


def start_capture(contact) -> CardSetup:
    """A card capture for the contact, for the card capture widget (billing/_card_capture.html):
    the browser gives the card to the processor and the form posts back only `setup.id`,
    which `add_card(setup=...)` turns into a card on file. Outside any transaction: it may
    call the gateway twice."""
    return get_gateway().start_card_setup(customer=ensure_customer(contact))


def retire_after_hard_decline(payment: Payment, decline_code: str) -> None:
    """Inside the settling transaction: a hard decline (stolen, lost, fraudulent, ...) means
    the card will never work again, so no renewal or retry may charge it. Compare-and-set,
    so a second hard decline on the same card writes no second audit row."""
    changed = PaymentMethod.objects.filter(pk=payment.payment_method_id, unusable_reason="").update(
        unusable_reason=decline_code, is_default=False
    )
    if changed:
        audit.record(
            "card.unusable",
            PaymentMethod.objects.get(pk=payment.payment_method_id),
            actor=None,
            contact_id=payment.contact_id,
            reason=decline_code,
            after={"unusable_reason": decline_code},
        )
