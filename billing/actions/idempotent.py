"""Run an action at most once per client-chosen idempotency key."""

from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError

from billing import errors
from core import idempotency

T = TypeVar("T")
Remember = Callable[[object], None]


def once(key: str | None, action: str, params: object, run: Callable[[Remember], T]) -> T:
    """Return the first result for `key`, or run the action, which calls `remember(result)`
    inside its own transaction so the key commits with the effect."""
    try:
        prior = idempotency.replay(key, action, params)
    except idempotency.KeyReused:
        raise errors.IdempotencyConflict(errors.IDEMPOTENCY_CONFLICT) from None
    if prior is not None:
        return prior

    def remember(result: object) -> None:
        idempotency.remember(key, action, params, result)

    try:
        return run(remember)
    except IntegrityError:
        # A concurrent call with the same key committed first; ours rolled back whole.
        if key and (prior := idempotency.replay(key, action, params)) is not None:
            return prior
        raise
