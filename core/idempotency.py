"""Client-chosen idempotency keys for actions: the same key returns the first result.

`replay` is asked before acting; `remember` is called inside the action's transaction, so the
key and the effect commit together. Two concurrent first calls race on the unique key: the loser
rolls back entirely and its caller reads the winner's result.
"""

import hashlib
import json

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import IdempotencyKey


class KeyReused(Exception):
    """The key was used before with other parameters."""


def fingerprint(action: str, params: object) -> str:
    blob = json.dumps([action, params], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def replay(key: str | None, action: str, params: object) -> models.Model | None:
    if not key:
        return None
    row = IdempotencyKey.objects.filter(key=key).first()
    if row is None:
        return None
    if row.action != action or row.fingerprint != fingerprint(action, params):
        raise KeyReused(key)
    return row.result_type.get_object_for_this_type(pk=row.result_id)


def remember(key: str | None, action: str, params: object, result: models.Model) -> None:
    if not key:
        return
    IdempotencyKey.objects.create(
        key=key,
        action=action,
        fingerprint=fingerprint(action, params),
        result_type=ContentType.objects.get_for_model(result),
        result_id=result.pk,
    )
