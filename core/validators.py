"""What every piece of free text typed into Paydesk must pass before anything is written.

A card number typed into a reason would be copied into append-only rows (the audit trail, the
ledger) where it can never be deleted, so text that holds one is refused at the form and again at
the action. Lengths follow the narrowest column the text is copied into, so a long text is a
field error, never a database error.
"""

import re

from django.core.exceptions import ValidationError

# A run of 13-19 digits (spaces or dashes allowed) standing alone, not inside a hex digest.
CARD_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])")
# A UUID (8-4-4-4-12 hex) is an identifier, never a card number, but its digit groups can line
# up into a Luhn-valid run of 16: the webhook endpoint's URL (/stripe/webhook/<uuid>/) did, in
# about one endpoint in 10,000, and failed the suite's scan. Only a UUID with a hex letter is
# set aside, so digits merely written in that shape are still read.
UUID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")

CARD_NUMBER_REFUSED = (
    "This looks like a card number. Card numbers are never stored in text: remove it."
)

# A reason is copied into a dunning case's end_reason (varchar 200), ledger memos and discount
# line descriptions (varchar 300): the narrowest decides.
REASON_MAX_LENGTH = 200
# Free text with no column limit of its own (notes, notice templates) is still bounded.
TEXT_MAX_LENGTH = 10_000


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def holds_card_number(text: str | None) -> bool:
    """Whether `text` holds a Luhn-valid run of 13-19 digits."""
    for run in CARD_CANDIDATE.findall(UUID.sub(_set_aside, text or "")):
        digits = re.sub(r"\D", "", run)
        if 13 <= len(digits) <= 19 and luhn(digits):
            return True
    return False


def _set_aside(uuid: re.Match) -> str:
    return " " if re.search("[A-Fa-f]", uuid.group()) else uuid.group()


def refuse_card_numbers(value: str) -> None:
    """A Django validator: attach it to every free-text field (values parsed into something
    else, like a list of days, hold no text left to check)."""
    if isinstance(value, str) and holds_card_number(value):
        raise ValidationError(CARD_NUMBER_REFUSED, code="card_number")
