"""What billing knows about card declines, in one place: which codes no retry can fix (hard),
the words a rep reads on the collections page, and the words the customer reads. Gateways
report a decline code; everything else (dunning's retries, the pages) asks this module."""

# Declines no retry can fix (Stripe's "do not try again" codes): dunning stops on these.
HARD = frozenset(
    {
        "lost_card",
        "stolen_card",
        "fraudulent",
        "pickup_card",
        "restricted_card",
        "revocation_of_all_authorizations",
        "revocation_of_authorization",
        "security_violation",
        "service_not_allowed",
        "stop_payment_order",
        "invalid_account",
        "invalid_number",
    }
)


def is_hard(code: str) -> bool:
    return code in HARD


# What a rep can tell the customer; other codes are shown as written, underscores dropped.
REP_LABELS = {
    "generic_decline": "Declined by the bank",
    "insufficient_funds": "Insufficient funds",
    "expired_card": "Card expired",
    "processing_error": "Processing error at the bank",
    "lost_card": "Card reported lost",
    "stolen_card": "Card reported stolen",
    "fraudulent": "Suspected fraud",
    "incorrect_cvc": "Wrong security code",
    # Not a decline: the card was removed from the customer in Stripe (payment_method.detached).
    "detached": "Removed in Stripe",
}


def label(code: str) -> str:
    """The rep's words for a decline code ("Card reported stolen"); empty for none."""
    if not code:
        return ""
    return REP_LABELS.get(code) or code.replace("_", " ").capitalize()


def what_now(code: str) -> str:
    """The rep's words for a decline and what to do next: a hard decline has marked the card
    unusable, so the only way on is another card."""
    if is_hard(code):
        return f"{label(code)}: that card is now unusable. Take a new card to collect it."
    return f"{label(code) or 'Declined'}: collections will retry it."


# The words the customer reads (a sandbox charge says them as Stripe would).
CUSTOMER_WORDS = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "processing_error": "An error occurred while processing your card. Try again.",
    "lost_card": "Your card was declined (reported lost).",
    "stolen_card": "Your card was declined (reported stolen).",
    "fraudulent": "Your card was declined (suspected fraud).",
}


def customer_words(code: str) -> str:
    return CUSTOMER_WORDS.get(code, "")
