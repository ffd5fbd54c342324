"""Is the current code inside a real database transaction?

Tests wrap each case in an atomic block of their own (marked `_from_testcase` by Django);
those do not count, so the same guards hold in tests and in production.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


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


# One statement: the setting as it was (the subquery, not flattened, is read before the outer
# projection changes it), and the change.
_RELAX = """
    SELECT was, set_config('synchronous_commit', 'off', false)
    FROM (SELECT current_setting('synchronous_commit') AS was OFFSET 0) AS setting
"""


@contextmanager
def unflushed_commits() -> Iterator[None]:
    """Commits in this block return before PostgreSQL flushes them to disk; the first commit
    after it flushes them all, since the write-ahead log is flushed in order.

    Other sessions see each commit at once; only a crash of the database server can lose the
    last fraction of a second of them, together with everything committed after them. Use it
    only where such a loss is harmless (the sweeps' claims, billing.steps.sending)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(_RELAX)
        was = cursor.fetchone()[0]
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('synchronous_commit', %s, false)", [was])
