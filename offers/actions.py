"""Catalogue actions. An offer is stored as a new version per edit, never rewritten, so
whatever was sold from the old version keeps the lines it was sold with."""

import uuid

from django.contrib.auth.models import User
from django.db import transaction

from core import audit
from core.errors import NotAllowed
from offers.lines import SaleLine
from offers.models import Offer, OfferLine


def store_offer(
    name: str, currency: str, lines: list[SaleLine], *, actor: User, replaces: Offer | None = None
) -> Offer:
    """Save sale lines as an offer; with `replaces`, as its next version (the old is archived)."""
    if actor is None or not actor.is_active or not actor.has_perm("offers.add_offer"):
        raise NotAllowed("You do not have permission to save offers.")
    with transaction.atomic():
        if replaces is not None:
            # Lock the family's newest row so two editors cannot both create version N+1.
            old = Offer.objects.select_for_update().get(pk=replaces.pk)
            family = old.family
            version = Offer.objects.filter(family=family).order_by("-version")[0].version + 1
            Offer.objects.filter(family=family, archived=False).update(archived=True)
        else:
            family, version = uuid.uuid4(), 1
        offer = Offer.objects.create(family=family, version=version, name=name, currency=currency)
        OfferLine.objects.bulk_create(
            OfferLine(
                offer=offer,
                product=line.product,
                quantity=line.quantity,
                unit_price=line.price,
                discount=line.discount,
                terms=line.payment_terms.to_json(),
                position=position,
            )
            for position, line in enumerate(lines)
        )
        audit.record(
            "offer.created" if replaces is None else "offer.versioned",
            offer,
            actor=actor,
            before={"offer": replaces.pk} if replaces is not None else {},
            after={"name": name, "currency": currency, "version": version, "lines": len(lines)},
        )
    return offer
