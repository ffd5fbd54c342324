"""Client-chosen idempotency keys for actions: the same key returns the first result.

An action claims its key first thing inside its own durable transaction and fills the claim
with its result before that transaction ends, so the key and the effect commit together:

    with transaction.atomic(durable=True):
        slot = idempotency.claim(key, "void_invoice", params)
        if slot.prior:
            return slot.prior
        ...
        slot.fill(invoice)

Two concurrent first calls race on the unique key: the second one's insert waits on the
first's transaction; if that commits, the insert fails and the second caller reads the first
result, having written nothing; if it rolls back, the second claim goes through.
"""

import hashlib
import json
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction

from core.models import IdempotencyKey


class KeyReused(Exception):
    """The key was used before with other parameters."""


def fingerprint(action: str, params: object) -> str:
    blob = json.dumps([action, params], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class Slot:
    """A claimed key: `prior` is the first call's result, or None when this call is first
    (and must `fill` the slot with its result before its transaction commits)."""

    row: IdempotencyKey | None = None
    prior: models.Model | None = None

    def fill(self, result: models.Model) -> None:
        if self.row is None:
            return
        self.row.result_type = ContentType.objects.get_for_model(result)
        self.row.result_id = result.pk
        self.row.save(update_fields=["result_type", "result_id"])


def claim(key: str | None, action: str, params: object) -> Slot:
    """Claim `key` inside the caller's transaction, or return the result it already holds.

    Raises KeyReused when the key was used for another action or other parameters."""
    if not key:
        return Slot()
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim an idempotency key inside the action's transaction")
    fp = fingerprint(action, params)
    existing = IdempotencyKey.objects.filter(key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(key=key, action=action, fingerprint=fp)
            return Slot(row=row)
        except IntegrityError:
            # A concurrent first call committed while we waited on the unique index.
            existing = IdempotencyKey.objects.get(key=key)
    if existing.action != action or existing.fingerprint != fp:
        raise KeyReused(key)
    return Slot(prior=existing.result_type.get_object_for_this_type(pk=existing.result_id))


def replay(key: str | None, action: str, params: object) -> models.Model | None:
    """The first result for `key`, read before any slow work an action does outside its
    transaction (a gateway call); the action still claims the key inside it."""
    if not key:
        return None
    existing = IdempotencyKey.objects.filter(key=key).first()
    if existing is None:
        return None
    if existing.action != action or existing.fingerprint != fingerprint(action, params):
        raise KeyReused(key)
    return existing.result_type.get_object_for_this_type(pk=existing.result_id)
