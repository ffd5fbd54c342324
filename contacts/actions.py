"""Changing a contact or a partner. Who a customer's email goes to, the currency they are billed
in and the partner who earns commission on them all matter to money, so each change writes one
audit event with the fields before and after."""

from django.contrib.auth.models import User
from django.db import models, transaction

from contacts.models import Contact, Partner
from core import audit
from core.errors import NotAllowed


def _shown(value) -> str | None:
    return None if value is None else str(value)


def _save(obj: models.Model, *, changes: dict, actor: User, what: str) -> models.Model:
    created = obj.pk is None
    model = obj._meta.model_name
    perm = f"contacts.{'add' if created else 'change'}_{model}"
    if actor is None or not actor.is_active or not actor.has_perm(perm):
        raise NotAllowed(f"You do not have permission to {what}.")
    with transaction.atomic():
        obj.save()
        audit.record(
            f"{model}.{'created' if created else 'changed'}",
            obj,
            actor=actor,
            contact_id=obj.pk if isinstance(obj, Contact) else None,
            before={} if created else {k: _shown(v) for k, v in changes.items()},
            after={k: _shown(obj.serializable_value(k)) for k in changes},
        )
    return obj


def update_contact(contact: Contact, *, changes: dict, actor: User) -> Contact:
    """Save a new or edited contact; `changes` maps each changed field to its old value."""
    return _save(contact, changes=changes, actor=actor, what="change contacts")


def update_partner(partner: Partner, *, changes: dict, actor: User) -> Partner:
    """Save a new or edited partner (its commission rates decide what it earns)."""
    return _save(partner, changes=changes, actor=actor, what="change partners")
