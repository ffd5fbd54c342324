"""Who may do what: every action asks here before it touches a row."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from djmoney.money import Money

from billing import errors
from billing.steps.inputs import checked_text
from core.validators import REASON_MAX_LENGTH


def require(actor: User | None, perm: str, what: str) -> None:
    if actor is None or not actor.is_active or not actor.has_perm(f"billing.{perm}"):
        raise errors.NotAllowed(errors.NOT_ALLOWED.format(what=what))


def require_refund_within_limit(actor: User, amount: Money) -> None:
    if actor.has_perm("billing.exceed_rep_limits"):
        return
    limit = settings.PAYDESK_REP_MAX_REFUND.get(str(amount.currency))
    # A currency with no configured limit has no rep allowance: a manager decides.
    if limit is None or amount.amount > Decimal(limit):
        shown = f"{limit} {amount.currency}" if limit is not None else f"0 {amount.currency}"
        raise errors.AboveRepLimit(
            errors.ABOVE_REP_LIMIT.format(what="A refund", limit=shown), field="amount"
        )


def require_discount_within_limit(actor: User, percent: Decimal) -> None:
    limit = settings.PAYDESK_REP_MAX_DISCOUNT_PERCENT
    if percent > limit and not actor.has_perm("billing.exceed_rep_limits"):
        raise errors.AboveRepLimit(
            errors.ABOVE_REP_LIMIT.format(what="A discount", limit=f"{limit}%"), field="percent"
        )


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise errors.ReasonRequired(errors.REASON_REQUIRED)
    return checked_text(reason, field="reason", max_length=REASON_MAX_LENGTH)


def optional_reason(reason: str) -> str:
    """A reason the rep may leave empty, checked like a required one when given."""
    reason = (reason or "").strip()
    return checked_text(reason, field="reason", max_length=REASON_MAX_LENGTH) if reason else ""
