"""Cards that expire before they are next charged: the contact record and the collections
page warn the rep, who asks the customer for a new card before the charge fails."""

import datetime as dt
from collections.abc import Iterable

from billing.models import Order, PaymentMethod
from billing.steps.ending import LIVE


def expiring_before_next_charge(contact, cards: Iterable[PaymentMethod]) -> dict[int, dt.date]:
    """Card id -> the first charge on it that falls after its expiry: each live order that
    charges automatically, on its own card or the default one.

    `cards` are the contact's cards as the caller already loaded them (the contact record's
    active ones); the unusable ones are left out here. One query, none when no card is usable:
    then no charge can fall on one."""
    usable = {c.pk: c for c in cards if c.usable}
    if not usable:
        return {}
    default = next((pk for pk, c in usable.items() if c.is_default), None)
    due = Order.objects.filter(
        contact=contact,
        status__in=LIVE,
        collection_method=Order.CollectionMethod.CHARGE_AUTOMATICALLY,
        next_charge_on__isnull=False,
    ).values_list("payment_method_id", "next_charge_on")
    found: dict[int, dt.date] = {}
    for card_id, charge_on in due:
        card = usable.get(card_id or default)
        if card is not None and card.expires_on < charge_on:
            found[card.pk] = min(found.get(card.pk, charge_on), charge_on)
    return found


def mark_cards_of_cases(cases: list) -> None:
    """On each collection case: `card`, the card its next attempt charges (the order's own if
    usable, else the default), and `card_expires_first`, whether it expires before that
    attempt. One query for the page's default cards."""
    contact_ids = {case.contact_id for case in cases}
    defaults = {
        card.contact_id: card
        for card in PaymentMethod.objects.usable().filter(
            contact_id__in=contact_ids, is_default=True
        )
    }
    for case in cases:
        own = case.order.payment_method
        case.card = own if own is not None and own.usable else defaults.get(case.contact_id)
        attempt = case.next_attempt_at.date() if case.next_attempt_at else None
        case.card_expires_first = bool(case.card and attempt and case.card.expires_on < attempt)
