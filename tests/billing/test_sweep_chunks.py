"""The scheduled sweeps work in bounded chunks, each enqueuing the next, so no cluster timeout
can kill one half-way; the plain functions still do all due work in one call."""

import datetime as dt

from billing import actions, tasks
from billing.actions import SaleLine
from core import clock
from offers.terms import PaymentTerms


def test_a_scheduled_sweep_does_one_bounded_chunk_and_enqueues_the_next(
    contact, card, product, rep, monkeypatch
):
    for _ in range(5):
        actions.charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=rep,
        )  # fmt: skip
    monkeypatch.setattr(tasks, "BATCH", 2)
    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda *args: queued.append(args))
    renew_at = clock.now() + dt.timedelta(days=32)

    assert tasks.charge_due_orders_chunk(renew_at) == {"billed": 2, "charged": 2}
    assert queued == [("billing.tasks.charge_due_orders_chunk", renew_at)]

    assert tasks.charge_due_orders(renew_at) == {"billed": 3, "charged": 3}
    assert len(queued) == 1
