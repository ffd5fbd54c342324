"""The dunning sweep's batch: the claimed cases' attempts started together, each charge sent on
its own, the declines recorded together.

One by one, an attempt cost 31 statements and 24 transactions (issue 13). Here a batch costs
a handful of statements whatever its size (billing.steps.retries for billing's half, one
INSERT for the attempts, one UPDATE each for the attempts and cases, one task for the
notices); only the claim before each gateway call and the call itself stay per attempt,
outside any transaction, under the keys the one-by-one path uses
(`dunning:<case>:<n>:<card>` for the action, `payment:<pk>` at the gateway).

The set-based path takes the common attempt only: an active case on an open invoice, charged
on its order's usable card alone. Every other one (other cards to try, no usable card, an
invoice settled meanwhile, a charge already in flight, a capture, an unknown outcome, a hard
decline, the last attempt, a case stopped meanwhile) goes the general way, row by row
(dunning.cases), so its rules live in one place.
"""

from django.contrib.auth.models import User
from django.db import transaction

from billing.gateways.base import ChargeResult
from billing.models import Invoice, Payment
from billing.steps import charging, retries, sending
from core import bulk, clock
from dunning.cases import after_attempt, finish, notify_many, record_charge
from dunning.models import DunningAttempt, DunningCase, NoticeTemplate

Started = tuple[DunningCase, DunningAttempt]
Sent = tuple[DunningCase, DunningAttempt, ChargeResult | None]


def start(cases: list[DunningCase], *, system: User) -> tuple[list[Started], list[DunningCase]]:
    """Inside the claim's transaction, the cases locked and their counters advanced: start
    each plain case's attempt (its pending payment, its key, its attempt row). Returns the
    attempts to send and the cases to make one by one (dunning.cases.run_attempt) once the
    claim has committed."""
    plain = [case for case in cases if _plain(case)]
    payments = retries.start_batch(
        [
            retries.Retry(
                invoice=case.invoice,
                card=case.order.payment_method,
                key=f"dunning:{case.pk}:{case.attempts_made}:{case.order.payment_method_id}",
                reason=f"Collection attempt {case.attempts_made}",
            )
            for case in plain
        ],
        actor=system,
    )
    now = clock.now()
    started = [
        (
            case,
            DunningAttempt(
                case=case,
                number=case.attempts_made,
                card=case.order.payment_method,
                at=now,
                payment=payment,
            ),
        )
        for case, payment in zip(plain, payments, strict=True)
        if payment is not None
    ]
    attempts = [attempt for _, attempt in started]
    ids = bulk.insert_rows(
        DunningAttempt,
        {
            "case": [attempt.case_id for attempt in attempts],
            "number": [attempt.number for attempt in attempts],
            "at": now,
            "card": [attempt.card_id for attempt in attempts],
            "payment": [attempt.payment_id for attempt in attempts],
        },
    )
    for attempt, pk in zip(attempts, ids, strict=True):
        attempt.pk = pk
    taken = {case.pk for case, _ in started}
    return started, [case for case in cases if case.pk not in taken]


def _plain(case: DunningCase) -> bool:
    card = case.order.payment_method
    return (
        case.invoice.status == Invoice.Status.OPEN
        and not case.policy.try_other_cards
        and card is not None
        and card.usable
    )


def send(started: list[Started]) -> list[Sent]:
    """Each charge sent by whoever wins its compare-and-set (billing.steps.sending), outside
    any transaction: a charge another runner or reconcile took, or settled, is not sent again."""
    by_payment = {attempt.payment_id: (case, attempt) for case, attempt in started}
    sent = sending.send_claimed([attempt.payment for _, attempt in started])
    return [(*by_payment[payment.pk], result) for payment, result in sent]


def record(sent: list[Sent], *, system: User) -> None:
    """Record the batch's outcomes: its plain declines together, in one transaction with their
    attempts, cases and notices; every other outcome one by one once that has committed."""
    by_payment = {attempt.payment_id: (case, attempt) for case, attempt, _ in sent}
    with transaction.atomic():
        declined, rest = retries.settle_declines(
            [(attempt.payment, result) for _, attempt, result in sent], actor=system
        )
        finals = _record_declines([by_payment[p.pk] + (p,) for p in declined])
    for case_id in finals:
        finish(case_id)
    for payment, result in rest:
        payment = charging.settle_charge(payment, result, actor=system)
        case, attempt = by_payment[payment.pk]
        if not record_charge(case, attempt, payment):
            after_attempt(case, attempt.number, declined=True)


def _record_declines(declined: list[tuple[DunningCase, DunningAttempt, Payment]]) -> list[int]:
    """What record_charge and after_attempt do for a declined attempt, for the whole batch.
    Returns the cases whose last attempt this was, for `finish` once this has committed."""
    if not declined:
        return []
    for case, attempt, payment in declined:
        attempt.outcome, attempt.decline_code = payment.status, payment.decline_code
        case.last_decline_code = payment.decline_code
    bulk.update_rows([a for _, a, _ in declined], ["outcome", "decline_code"])
    bulk.update_rows([c for c, _, _ in declined], ["last_decline_code"])
    # Read again, as after_attempt does: a rep may have paused or stopped a case meanwhile.
    now = DunningCase.objects.filter(pk__in=[c.pk for c, _, _ in declined])
    states = {pk: (status, when) for pk, status, when in now.values_list(
        "pk", "status", "next_attempt_at"
    )}  # fmt: skip
    active = [
        (case, attempt)
        for case, attempt, _ in declined
        if states[case.pk][0] == DunningCase.Status.ACTIVE
    ]
    notify_many(
        [
            (case.pk, NoticeTemplate.Kind.FURTHER, attempt.number)
            for case, attempt in active
            if states[case.pk][1] is not None
        ]
    )
    return [case.pk for case, _ in active if states[case.pk][1] is None]
