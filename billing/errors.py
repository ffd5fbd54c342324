"""Errors a rep may see. Each has a stable code for tests and logs and a message for the rep.

Messages are module constants so tests assert on the same words the rep reads.
"""

# The reason rule is every app's (dunning's actions ask for one too): its words live in core.
from core.errors import REASON_REQUIRED as REASON_REQUIRED
from core.errors import ActionError


class BillingError(ActionError):
    code = "billing_error"


class NotAllowed(BillingError):
    code = "not_allowed"


class AboveRepLimit(NotAllowed):
    code = "above_rep_limit"


class InvalidTransition(BillingError):
    code = "invalid_transition"


class InvalidAmount(BillingError):
    code = "invalid_amount"
    field = "amount"


class CurrencyMismatch(InvalidAmount):
    code = "currency_mismatch"


class ReasonRequired(BillingError):
    code = "reason_required"
    field = "reason"


class InvalidRequest(BillingError):
    code = "invalid_request"


class IdempotencyConflict(BillingError):
    code = "idempotency_conflict"


class ChargeInProgress(BillingError):
    code = "charge_in_progress"


class GatewayRefused(BillingError):
    code = "gateway_refused"


NOT_ALLOWED = "You do not have permission to {what}."
AMOUNT_ABOVE_DUE = "The amount is more than the {due} still due on this invoice."
AMOUNT_ABOVE_REFUNDABLE = "The amount is more than the {left} left to refund on this payment."
PAYMENT_DISPUTED = (
    "The customer disputed this payment: the money goes back through the dispute, not a refund."
)
AMOUNT_NOT_POSITIVE = "Enter an amount greater than zero."
WRONG_CURRENCY = "This {subject} is in {expected}; the amount is in {got}."
IDEMPOTENCY_CONFLICT = "This request key was already used for a different request."
CHARGE_IN_PROGRESS = "A charge on this invoice is still in progress; wait for its outcome."
NOTHING_DUE = "Nothing is due on this invoice."
VOID_WITH_MONEY = "Money is captured on this invoice: refund it first, or replace the invoice."
CARD_NOT_USABLE = "That card is not on file for this contact."
NO_CARD = "This contact has no card on file."
SAY_HOW_LATER_PERIODS_ARE_PAID = (
    "Say how later periods are paid: charge the card on file, or email an invoice to pay."
)
NO_LINES = "Add at least one line."
MIXED_CURRENCIES = "All lines of a sale must be in one currency."
DISCOUNT_ONE_OF = "Give either an amount or a percent."
PERCENT_RANGE = "Enter a percent between 0 and 100."
