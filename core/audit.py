"""Writing audit events: one per state change, in the change's own transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from djmoney.money import Money

from core import bulk, clock
from core.models import AuditEvent
from core.txn import require_transaction

# Who asked for the changes being recorded, when that is not their actor (see `asked_by`).
_asked_by: ContextVar[dict | None] = ContextVar("asked_by", default=None)


@contextmanager
def asked_by(user: Any, *, request_id: int) -> Iterator[None]:
    """Every event recorded inside names `user` as the one who asked, beside its actor: a
    manager carrying out a rep's request above the rep's limit is the actor, and the trail
    still says whose request it was (in `after`, so no event loses its own data)."""
    token = _asked_by.set(
        {
            "requested_by": user.username,
            "requested_by_name": user.get_full_name() or user.username,
            "approval_request": request_id,
        }
    )
    try:
        yield
    finally:
        _asked_by.reset(token)


def record(
    action: str,
    subject: models.Model,
    *,
    actor: Any,
    reason: str = "",
    contact_id: int | None = None,
    amount: Money | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    # An event outside a transaction could outlive a rolled-back change.
    require_transaction("audit events belong in the change's transaction")
    return AuditEvent.objects.create(
        created_at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        reason=reason,
        contact_id=contact_id,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        amount=amount,
        before=before or {},
        after={**(after or {}), **(_asked_by.get() or {})},
    )


def record_many(
    action: str,
    subjects: list[models.Model],
    *,
    amounts: list[Money],
    afters: list[dict] | None = None,
    actor: Any = None,
    reasons: list[str] | None = None,
) -> None:
    """One event per subject in one INSERT: what a batch of the same change (the renewal and
    dunning sweeps') writes instead of one `record` a row. By the automation unless an `actor`
    is given (the dunning sweep's system user, as its one-by-one path records). Subjects carry
    `contact_id`; `afters` and `reasons`, if given, pair with them like `amounts`."""
    require_transaction("audit events belong in the change's transaction")
    if not subjects:
        return
    bulk.insert_rows(
        AuditEvent,
        {
            "created_at": clock.now(),
            "actor": actor.pk if getattr(actor, "pk", None) else None,
            "action": action,
            "reason": reasons if reasons is not None else "",
            "contact_id": [subject.contact_id for subject in subjects],
            "subject_type": ContentType.objects.get_for_model(subjects[0]).pk,
            "subject_id": [subject.pk for subject in subjects],
            "amount": [amount.amount for amount in amounts],
            "amount_currency": [str(amount.currency) for amount in amounts],
            "after": afters if afters is not None else {},
        },
    )
