"""Idempotency keys of the rep actions: core.idempotency, with a reused key refused as a
BillingError a rep can read (core knows nothing of billing's errors)."""

from django.db import models

from billing import errors
from core import idempotency


def claim(key: str | None, action: str, params: object) -> idempotency.Slot:
    try:
        return idempotency.claim(key, action, params)
    except idempotency.KeyReused:
        raise errors.IdempotencyConflict(errors.IDEMPOTENCY_CONFLICT) from None


def replay(key: str | None, action: str, params: object) -> models.Model | None:
    try:
        return idempotency.replay(key, action, params)
    except idempotency.KeyReused:
        raise errors.IdempotencyConflict(errors.IDEMPOTENCY_CONFLICT) from None
