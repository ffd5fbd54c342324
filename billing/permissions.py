"""Who may do what: every action asks here before it touches a row."""

from django.contrib.auth.models import User

from billing import errors
from billing.steps.inputs import checked_text
from core.validators import REASON_MAX_LENGTH


def require(actor: User | None, perm: str, what: str) -> None:
    if actor is None or not actor.is_active or not actor.has_perm(f"billing.{perm}"):
        raise errors.NotAllowed(errors.NOT_ALLOWED.format(what=what))


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise errors.ReasonRequired(errors.REASON_REQUIRED)
    return checked_text(reason, field="reason", max_length=REASON_MAX_LENGTH)


def optional_reason(reason: str) -> str:
    """A reason the rep may leave empty, checked like a required one when given."""
    reason = (reason or "").strip()
    return checked_text(reason, field="reason", max_length=REASON_MAX_LENGTH) if reason else ""
