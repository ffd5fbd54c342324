"""Catalogue actions. An offer is stored as a new version per edit, never rewritten, so
whatever was sold from the old version keeps the lines it was sold with."""

import uuid

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from core import audit, money
from core.errors import ActionError, NotAllowed
from core.validators import CARD_NUMBER_REFUSED, holds_card_number
from offers.lines import SaleLine
from offers.models import Offer, OfferLine, Product


def _check_input(name: str, lines: list[SaleLine]) -> None:
    """What the offer form checks, again for callers without one: a name the column holds with
    no card number in it, amounts neither negative nor above the ceiling, sane quantities."""
    if holds_card_number(name):
        raise ActionError(CARD_NUMBER_REFUSED, field="name")
    if len(name) > Offer._meta.get_field("name").max_length:
        raise ActionError("The name is too long.", field="name")
    for line in lines:
        if not 1 <= line.quantity <= settings.PAYDESK_MAX_QUANTITY:
            raise ActionError(
                f"Quantity must be between 1 and {settings.PAYDESK_MAX_QUANTITY}.", field="quantity"
            )
        terms = line.payment_terms
        for field, value in (
            ("unit_price", line.price),
            ("discount", line.discount),
            ("initial", terms.initial),
            ("trial_price", terms.trial_price),
        ):
            if value is None:
                continue
            try:
                money.within_ceiling(value)
            except money.MoneyError as exc:
                raise ActionError(str(exc), field=field) from None
            if value.amount < 0:
                raise ActionError("Amounts cannot be negative.", field=field)


def store_offer(
    name: str, currency: str, lines: list[SaleLine], *, actor: User, replaces: Offer | None = None
) -> Offer:
    """Save sale lines as an offer; with `replaces`, as its next version (the old is archived)."""
    if actor is None or not actor.is_active or not actor.has_perm("offers.add_offer"):
        raise NotAllowed("You do not have permission to save offers.")
    _check_input(name, lines)
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


def save_catalogue_item(item: Product | Offer, *, changes: dict, actor: User) -> Product | Offer:
    """Save a new or edited product or coupon (or an offer edited in place in the admin), with
    one audit event: `changes` maps each changed field to its old value (None when new)."""
    created = item.pk is None
    model = item._meta.model_name
    perm = f"offers.{'add' if created else 'change'}_{model}"
    if actor is None or not actor.is_active or not actor.has_perm(perm):
        raise NotAllowed(f"You do not have permission to change {item._meta.verbose_name_plural}.")
    with transaction.atomic():
        item.save()
        audit.record(
            f"{model}.{'created' if created else 'changed'}",
            item,
            actor=actor,
            before={} if created else {k: _shown(v) for k, v in changes.items()},
            after={k: _shown(item.serializable_value(k)) for k in changes},
        )
    return item


def archive_catalogue_item(item: Product | Offer, *, actor: User) -> None:
    """Hide a product, coupon or offer from new sales (sold rows keep pointing at it)."""
    field, value = ("archived", True) if isinstance(item, Offer) else ("active", False)
    if getattr(item, field) == value:
        return
    changes = {field: getattr(item, field)}
    setattr(item, field, value)
    save_catalogue_item(item, changes=changes, actor=actor)


def _shown(value) -> str | None:
    return None if value is None else str(value)
