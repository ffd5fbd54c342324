"""A sweep's batch of started charges, sent: each claimed (a compare-and-set, just before its
gateway call) and sent only by whoever won the claim, outside any transaction.

A real gateway answers in a third of a second to a second (Stripe), so a sender that waits for
each answer in turn charges one to three renewals a second, however fast the rest of the sweep
is. The batch is therefore sent over `settings.PAYDESK_GATEWAY_LANES` lanes: threads, each
taking the batch's next charge, claiming it on its own database connection and calling the
gateway. Each charge's claim and key make its fate independent of every other charge's, so
lanes change nothing a stalled or killed sender leaves behind: what it had claimed is found by
reconcile once the lease runs out and asked for by key, as with one lane. With one lane (the
sandbox's default, and always on SQLite) the batch is sent from the caller's own thread
and connection.
"""

import threading
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import connection, connections

from billing.gateways.base import ChargeResult
from billing.models import Payment
from billing.steps import charging
from core.txn import require_no_transaction, unflushed_commits

Sent = tuple[Payment, ChargeResult | None]


def send_claimed(payments: list[Payment]) -> list[Sent]:
    """Send each charge of the batch this caller wins the claim of. Returns the sent ones, in
    the batch's order, with the gateway's answers (None: unknown), for the caller to settle.

    The claims, and the sandbox gateway's own writes, commit without waiting for the disk
    (core.txn.unflushed_commits): two disk flushes a charge were most of a sweep's time (issue
    13). Losing them to a crash of the database is harmless. A claim only fences off other
    senders while the server runs: after a crash the charge is found unsent (or its lease run
    out) and sent again under the same key, which the gateway answers once. The sandbox's
    charge lies in the same log, so it is lost only with everything written after it: no
    capture of it was ever recorded. Everything the sweep records afterwards commits as usual,
    flushing these with it.

    Should a lane fail (the database gone, say), the others take no further charge and the
    error is raised here once every lane has stopped. What was sent is then settled by
    reconcile, as after a crash."""
    require_no_transaction("never call a gateway inside a transaction")
    if not payments:
        return []
    answers: dict[int, ChargeResult | None] = {}
    batch = _Batch(payments)
    lanes = min(settings.PAYDESK_GATEWAY_LANES, len(payments))
    if connection.vendor != "postgresql":
        lanes = 1  # SQLite (the demo) takes one writer at a time: lanes would queue on claims
    if lanes == 1:
        _lane(batch, answers)
    else:
        threads = [
            threading.Thread(target=_own_connection(_lane), args=(batch, answers), name=f"lane-{n}")
            for n in range(lanes)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if batch.failure is not None:
            raise batch.failure
    return [(payment, answers[payment.pk]) for payment in payments if payment.pk in answers]


class _Batch:
    """The charges not yet taken by a lane, handed out one at a time."""

    def __init__(self, payments: list[Payment]) -> None:
        self._rest: Iterator[Payment] = iter(payments)
        self._lock = threading.Lock()
        self.failure: BaseException | None = None

    def take(self) -> Payment | None:
        with self._lock:
            return None if self.failure else next(self._rest, None)

    def fail(self, error: BaseException) -> None:
        with self._lock:
            self.failure = self.failure or error


def _lane(batch: _Batch, answers: dict[int, ChargeResult | None]) -> None:
    with unflushed_commits():
        while (payment := batch.take()) is not None:
            if charging.claim(payment):
                answers[payment.pk] = charging.call_gateway(payment)


def _own_connection(lane: Callable[..., None]) -> Callable[..., None]:
    """Run a lane in a thread: its failure is kept for the caller, and the connection Django
    opened for the thread is closed when it ends (a thread's connection is never reused)."""

    def run(batch: _Batch, answers: dict[int, ChargeResult | None]) -> None:
        try:
            lane(batch, answers)
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            batch.fail(error)
        finally:
            connections.close_all()

    return run
