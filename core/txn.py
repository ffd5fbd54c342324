"""Is the current code inside a real database transaction?

Tests wrap each case in an atomic block of their own (marked `_from_testcase` by Django);
those do not count, so the same guards hold in tests and in production.
"""

from django.db import transaction


def in_transaction() -> bool:
    blocks = transaction.get_connection().atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


class TransactionMisuse(RuntimeError):
    """A programming error: code ran on the wrong side of a transaction boundary."""


def require_transaction(why: str) -> None:
    # A raise, not an assert: `python -O` strips asserts, and these guards hold money rules.
    if not in_transaction():
        raise TransactionMisuse(why)


def require_no_transaction(why: str) -> None:
    if in_transaction():
        raise TransactionMisuse(why)
