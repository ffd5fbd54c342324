"""A case's life: opened by a declined order charge, retried on the policy's days, ended when
paid, exhausted (then the policy's final action) or stopped."""

import datetime as dt
import logging

from django.contrib.auth.models import User
from django.db import transaction
from django_q.tasks import async_task

from billing import actions
from billing.errors import BillingError
from billing.models import Invoice, Order, Payment, PaymentMethod
from billing.selectors import amount_due
from core import audit, clock
from core.roles import system_user
from dunning.models import DunningAttempt, DunningCase, DunningPolicy, NoticeTemplate
from dunning.policies import policy_for
from dunning.transitions import OPEN, move

log = logging.getLogger(__name__)


def next_attempt_after(case: DunningCase, moment: dt.datetime) -> dt.datetime | None:
    """The policy's first retry time after `moment`, or None when none is left.

    Retry days count from the first failure; slots that passed while a collection was
    paused are skipped rather than fired in a burst when it resumes."""
    if case.attempts_made >= case.policy.max_attempts:
        return None
    for days in case.policy.attempt_days():
        when = case.failed_at + dt.timedelta(days=days)
        if when > moment:
            return when
    return None


def notify(case: DunningCase, kind: str, attempt: int = 0) -> None:
    transaction.on_commit(lambda: async_task("dunning.tasks.send_notice", case.pk, kind, attempt))


def notify_many(notices: list[tuple[int, str, int]]) -> None:
    """A batch's notices, (case, kind, attempt) each, in one task queued on commit."""
    if notices:
        transaction.on_commit(lambda: async_task("dunning.tasks.send_notices", notices))


def order_of(invoice: Invoice) -> Order | None:
    if invoice.order_id:
        return invoice.order
    return Order.objects.filter(source_invoice=invoice).order_by("pk").first()


def open_case(invoice: Invoice, *, decline_code: str) -> DunningCase | None:
    """Start collecting an order's invoice after its period went unpaid (once per invoice):
    its charge was declined, or there was no usable card to charge.

    A hard decline does not end the case: billing has marked that card unusable, so no attempt
    charges it again, and the case waits on the policy's days for a card that works (one the
    rep adds, retries with, or sets on the order) until its last day, then takes the final
    action."""
    order = order_of(invoice)
    if order is None:
        return None  # a declined one-time sale is the rep's to handle, not dunning's
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
        if (
            invoice.status != Invoice.Status.OPEN
            or DunningCase.objects.filter(invoice=invoice).exists()
        ):
            return None
        policy = policy_for(order)
        case = DunningCase.objects.create(
            invoice=invoice,
            order=order,
            contact=invoice.contact,
            policy=policy,
            amount=amount_due(invoice),
            failed_at=clock.now(),
            last_decline_code=decline_code,
        )
        case.next_attempt_at = next_attempt_after(case, case.failed_at)
        case.save(update_fields=["next_attempt_at"])
        audit.record(
            "collection.started",
            case,
            actor=None,
            contact_id=case.contact_id,
            amount=case.amount,
            after={"policy": policy.name, "decline_code": decline_code},
        )
        if case.next_attempt_at is None:
            # A policy without retries: the final notice is the only one the customer needs.
            transaction.on_commit(lambda: finish(case.pk))
        else:
            notify(case, NoticeTemplate.Kind.FIRST)
    return case


def usable_cards(case: DunningCase) -> list[PaymentMethod]:
    """The order's card first; then, if the policy says so (or the order's card is unusable),
    the contact's other cards. A card a hard decline marked unusable is never among them."""
    first = case.order.payment_method
    cards = [first] if first and first.usable else []
    if case.policy.try_other_cards or not cards:
        cards += [
            c for c in PaymentMethod.objects.usable().filter(contact=case.contact) if c not in cards
        ]
    return cards if case.policy.try_other_cards else cards[:1]


def charge_attempt(
    case: DunningCase,
    number: int,
    cards: list[PaymentMethod] | None = None,
    *,
    system: User | None = None,
) -> bool:
    """Charge the invoice for attempt `number`, card by card, until one succeeds.

    The action key `dunning:<case>:<n>:<card>` makes a rerun (a second runner, a crashed
    worker's retry) return the first charge instead of making another. `system`: the sweep's
    own system user, whose permissions it has already loaded once for the whole sweep."""
    system = system or system_user()
    for card in cards or usable_cards(case):
        attempt, _ = DunningAttempt.objects.get_or_create(
            case=case, number=number, card=card, defaults={"at": clock.now()}
        )
        try:
            payment = actions.retry_invoice(
                case.invoice,
                payment_method=card,
                actor=system,
                reason=f"Collection attempt {number}" if number else "Card updated",
                idempotency_key=f"dunning:{case.pk}:{number}:{card.pk}",
            )
        except BillingError as exc:
            attempt.outcome, attempt.decline_code = "skipped", exc.code
            attempt.save(update_fields=["outcome", "decline_code"])
            if exc.code != "charge_in_progress":
                return False
            continue
        if record_charge(case, attempt, payment):
            return True
    return False


def record_charge(case: DunningCase, attempt: DunningAttempt, payment: Payment) -> bool:
    """Put the charge's outcome on its attempt; whether it was charged or is still in flight
    (another runner sends it, or reconcile will), so that there is no decline to report."""
    attempt.payment = payment
    attempt.outcome = payment.status  # unknown outcomes are settled by reconcile_pending
    attempt.decline_code = payment.decline_code
    attempt.save(update_fields=["payment", "outcome", "decline_code"])
    in_flight = (Payment.Status.PENDING, Payment.Status.UNKNOWN, Payment.Status.NOT_SENT)
    if payment.status == Payment.Status.SUCCEEDED or payment.status in in_flight:
        return True
    DunningCase.objects.filter(pk=case.pk).update(last_decline_code=payment.decline_code)
    return False


def run_attempt(case_id: int, number: int, *, system: User | None = None) -> None:
    case = DunningCase.objects.select_related("invoice", "order", "policy", "contact").get(
        pk=case_id
    )
    if case.status != DunningCase.Status.ACTIVE:
        return
    if case.invoice.status != Invoice.Status.OPEN:
        # Its end was announced but the task that ends it was lost: end it now.
        paid = case.invoice.status == Invoice.Status.PAID
        status = DunningCase.Status.RECOVERED if paid else DunningCase.Status.STOPPED
        end_case(
            case.invoice, status=status, why=f"invoice {case.invoice.get_status_display().lower()}"
        )
        return
    cards = usable_cards(case)
    if cards and charge_attempt(case, number, cards, system=system):
        return
    after_attempt(case, number, declined=bool(cards))


def after_attempt(case: DunningCase, number: int, *, declined: bool) -> None:
    """An attempt that charged nothing: the final action once no attempt is left, else the
    notice of a further failure."""
    case.refresh_from_db()
    if case.status != DunningCase.Status.ACTIVE:
        return
    if case.next_attempt_at is None:
        finish(case.pk)
    elif declined:
        # Without a usable card nothing was declined: the first notice already asked for one.
        with transaction.atomic():
            notify(case, NoticeTemplate.Kind.FURTHER, number)


def finish(case_id: int) -> None:
    """Retries are spent: send the final notice and take the policy's final action."""
    with transaction.atomic():
        # of=("self",): the policy is read, not locked (other cases share it).
        case = (
            DunningCase.objects.select_for_update(of=("self",))
            .select_related("policy")
            .get(pk=case_id)
        )
        if case.status not in OPEN:
            return
        move(case, DunningCase.Status.EXHAUSTED, what="end this collection")
        case.ended_at = clock.now()
        case.next_attempt_at = None
        waited = "no usable card by the last day" if not usable_cards(case) else "retries exhausted"
        case.end_reason = f"{waited}; final action: {case.policy.get_final_action_display()}"
        case.save()
        audit.record(
            "collection.exhausted",
            case,
            actor=None,
            contact_id=case.contact_id,
            amount=case.amount,
            reason=case.end_reason,
        )
        notify(case, NoticeTemplate.Kind.FINAL)
    _final_action(case)


def _final_action(case: DunningCase) -> None:
    system, action = system_user(), case.policy.final_action
    reason = f"Collection of {case.invoice.number} exhausted ({case.policy.name})"
    try:
        if action == DunningPolicy.FinalAction.WRITE_OFF:
            actions.write_off_invoice(case.invoice, actor=system, reason=reason)
        elif action == DunningPolicy.FinalAction.PAUSE:
            actions.pause_order(case.order, actor=system, reason=reason)
        elif action == DunningPolicy.FinalAction.CANCEL:
            actions.cancel_order(case.order, actor=system, reason=reason)
    except BillingError as exc:
        # e.g. the order was cancelled by a rep meanwhile: nothing left to do, but say so.
        log.warning("dunning final action %s on case %s refused: %s", action, case.pk, exc)


def end_case(invoice: Invoice, *, status: str, why: str, actor: User | None = None) -> None:
    """End the invoice's open case, if it has one, with `status` (recovered or stopped)."""
    with transaction.atomic():
        case = DunningCase.objects.select_for_update(of=("self",)).filter(invoice=invoice).first()
        if case is None or case.status not in OPEN:
            return
        old = move(case, status, what="end this collection")
        case.ended_at, case.end_reason = clock.now(), why
        case.next_attempt_at = None
        case.save()
        audit.record(
            f"collection.{status}",
            case,
            actor=actor,
            contact_id=case.contact_id,
            reason=why,
            before={"status": old},
            after={"status": status},
        )
