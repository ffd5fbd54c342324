"""Every django-q2 task of dunning: the sweep, which claims due cases, charges each attempt once
and never floods the gateway; an extra attempt on a new card; a notice.

The cluster runs `run_dunning_chunk`: one bounded batch, then the next enqueued while more is
due, so no task runs long enough for the cluster's timeout to kill it half-way. `run_dunning`
runs every chunk in this process (tests, commands, shells)."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django_q.tasks import async_task

from billing.models import Invoice, Order, Payment, PaymentMethod
from billing.steps import charging
from billing.steps.stranded import send_stranded
from core import audit, bulk, clock
from core.roles import system_user
from dunning import batches, notices
from dunning.cases import charge_attempt, end_case, next_attempt_after, open_case, run_attempt
from dunning.models import DunningAttempt, DunningCase
from dunning.transitions import move

log = logging.getLogger(__name__)
BATCH = 50
# A decline younger than this may still have its receiver's task in the queue.
ADOPT_AFTER = dt.timedelta(minutes=10)

Counts = dict[str, int]


def run_dunning(now: dt.datetime | None = None) -> Counts:
    """Make every due attempt, chunk after chunk, in this process."""
    now = now or clock.now()
    counts = {
        "attempts": 0,
        "remade": 0,
        "resumed": _resume_paused(now),
        "adopted": _adopt_declined(now),
    }
    while _chunk(now, counts):
        pass
    return counts


def run_dunning_chunk(now: dt.datetime | None = None) -> Counts:
    """The scheduled sweep: one chunk of `run_dunning`, then the next enqueued."""
    now = now or clock.now()
    counts = {
        "attempts": 0,
        "remade": 0,
        "resumed": _resume_paused(now),
        "adopted": _adopt_declined(now),
    }
    if _chunk(now, counts):
        async_task("dunning.tasks.run_dunning_chunk", now)
    return counts


def _chunk(now: dt.datetime, counts: Counts) -> bool:
    """Remake attempts a dead runner claimed but never made, then claim and make up to BATCH
    due ones. Whether more may remain.

    A case is claimed with skip_locked and its attempt counter advanced in the same
    transaction, so two runners never take the same attempt; the charge itself is keyed per
    (case, attempt, card), so a remade or retried attempt never charges twice."""
    remade = _remake_stranded(now)
    counts["remade"] += remade
    sent_last_minute = DunningAttempt.objects.filter(at__gt=now - dt.timedelta(minutes=1)).count()
    budget = settings.PAYDESK_DUNNING_MAX_CHARGES_PER_MINUTE - sent_last_minute
    if budget <= 0:
        log.warning("run_dunning reached its ceiling of charges per minute; the rest waits")
        return False
    with transaction.atomic():
        due = list(
            DunningCase.objects.filter(status=DunningCase.Status.ACTIVE, next_attempt_at__lte=now)
            .select_related("policy", "invoice", "order__payment_method")
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))[: min(budget, BATCH)]
        )
        if not due:
            return remade == BATCH
        system = system_user()  # one user, so its permissions are read once a chunk
        for case in due:
            case.attempts_made += 1
            case.next_attempt_at = next_attempt_after(case, now)
        bulk.update_rows(due, ["attempts_made", "next_attempt_at"])
        started, general = batches.start(due, system=system)
    for case in general:
        run_attempt(case.pk, case.attempts_made, system=system)
    batches.record(batches.send(started), system=system)
    counts["attempts"] += len(due)
    return True


def _remake_stranded(now: dt.datetime) -> int:
    """Make the attempts a runner claimed (the case's counter advanced) and died before
    making: no attempt row for that number, or one still pending. Its charge, started but never
    sent (or its sender's lease ran out), is sent now under its own key, as reconcile would;
    then the attempt is made under the same action key, which finds that charge, so an attempt
    whose charge did reach the gateway is not charged twice. A charge whose sender still holds
    its lease is that sender's to record (or reconcile's, once the lease runs out); so is one
    started less than a lease ago and not claimed yet: a live runner is about to send it, and
    taking it would cost the gateway a second request (as in billing.tasks._charge_chunk)."""
    attempt = DunningAttempt.objects.filter(case=OuterRef("pk"), number=OuterRef("attempts_made"))
    held = attempt.filter(payment__status__in=charging.IN_FLIGHT).filter(
        Q(payment__claimed_at__gt=clock.now() - charging.LEASE)
        | Q(payment__claimed_at=None, payment__created_at__gt=now - charging.LEASE)
    )
    stranded = (
        DunningCase.objects.filter(status=DunningCase.Status.ACTIVE, attempts_made__gt=0)
        .exclude(Exists(attempt.exclude(outcome="pending")))
        .exclude(Exists(held))
        .order_by("pk")
        .values_list("pk", "attempts_made")[:BATCH]
    )
    stranded = list(stranded)
    if stranded:
        numbered = Q()
        for case_id, number in stranded:
            numbered |= Q(case_id=case_id, number=number)
        unsent = DunningAttempt.objects.filter(numbered).values("payment")
        send_stranded(Payment.objects.filter(pk__in=unsent))
    for case_id, number in stranded:
        run_attempt(case_id, number)
    return len(stranded)


def _adopt_declined(now: dt.datetime) -> int:
    """Open the case a lost `open_case_for` task did not: an order's open invoice whose last
    charge was declined a while ago (the receiver had its chance) and that has no case."""
    settled_before = now - ADOPT_AFTER
    declined = Payment.objects.filter(
        invoice=OuterRef("pk"), status=Payment.Status.FAILED, created_at__lte=settled_before
    )
    busy = Payment.objects.filter(
        invoice=OuterRef("pk"), status__in=[Payment.Status.PENDING, Payment.Status.UNKNOWN]
    )
    orphans = (
        Invoice.objects.filter(status=Invoice.Status.OPEN, dunning_case__isnull=True)
        .filter(Q(order__isnull=False) | Q(pk__in=Order.objects.values("source_invoice")))
        .filter(Exists(declined))
        .exclude(Exists(busy))
        .order_by("pk")
    )
    opened = 0
    for invoice in orphans[:BATCH]:
        last = invoice.payments.filter(status=Payment.Status.FAILED).order_by("-pk").first()
        opened += open_case(invoice, decline_code=last.decline_code) is not None
    return opened


def _resume_paused(now: dt.datetime) -> int:
    with transaction.atomic():
        cases = DunningCase.objects.filter(
            status=DunningCase.Status.PAUSED, paused_until__lte=now
        ).select_for_update(skip_locked=True, of=("self",))
        for case in cases:
            move(case, DunningCase.Status.ACTIVE, what="resume this collection")
            case.paused_until = None
            case.next_attempt_at = max(case.next_attempt_at or now, now)
            case.save()
            audit.record(
                "collection.resumed",
                case,
                actor=None,
                contact_id=case.contact_id,
                reason="pause ended",
            )
        return len(cases)


def retry_with_card(case_id: int, payment_method_id: int) -> bool:
    """An extra attempt (number 0) on a card just added or set: once per case and card."""
    case = DunningCase.objects.select_related("invoice", "order", "policy", "contact").get(
        pk=case_id
    )
    if case.status != DunningCase.Status.ACTIVE:
        return False
    return charge_attempt(case, 0, [PaymentMethod.objects.get(pk=payment_method_id)])


def send_notice(case_id: int, kind: str, attempt: int = 0) -> bool:
    """Enqueued by dunning.cases.notify after its change commits; sent once however often run."""
    case = DunningCase.objects.select_related("invoice", "contact", "policy").get(pk=case_id)
    return notices.send(case, kind, attempt)


def send_notices(notices_due: list[tuple[int, str, int]]) -> int:
    """Enqueued by a sweep's batch (dunning.cases.notify_many): its notices, (case, kind,
    attempt) each, sent once each however often run. One that fails does not keep the others
    from going out; the task then fails, so the cluster retries it and logs why."""
    sent, failed = 0, []
    for case_id, kind, attempt in notices_due:
        try:
            sent += send_notice(case_id, kind, attempt)
        except Exception as exc:  # noqa: BLE001 - each notice on its own; raised below
            log.exception("dunning notice %s for case %s failed", kind, case_id)
            failed.append(exc)
    if failed:
        raise failed[0]
    return sent


def open_case_for(invoice_id: int, decline_code: str) -> DunningCase | None:
    """Enqueued when an order period went unpaid (a decline, or no usable card)."""
    return open_case(Invoice.objects.get(pk=invoice_id), decline_code=decline_code)


def end_case_for(invoice_id: int, status: str, why: str) -> None:
    """Enqueued when a collected invoice was paid, voided or written off."""
    end_case(Invoice.objects.get(pk=invoice_id), status=status, why=why)
