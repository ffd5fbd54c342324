"""Rep actions that hold or end a collection, and saving a dunning policy. Charging, writing off
and marking paid are billing's actions; their events end the case."""

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

from billing.errors import InvalidRequest, InvalidTransition, NotAllowed
from billing.models import Invoice
from billing.permissions import require_reason
from billing.steps.inputs import checked_day
from core import audit, clock
from dunning.models import DunningCase, DunningPolicy, NoticeTemplate
from dunning.transitions import OPEN, move


def _require(actor: User, what: str) -> None:
    if actor is None or not actor.has_perm("dunning.work_collections"):
        raise NotAllowed(f"You do not have permission to {what}.")


def _locked_case(invoice: Invoice, what: str) -> DunningCase:
    case = DunningCase.objects.select_for_update(of=("self",)).filter(invoice=invoice).first()
    if case is None or case.status not in OPEN:
        raise InvalidTransition(f"Cannot {what}: this invoice is not in collection.")
    return case


def stop_collection(invoice: Invoice, *, actor: User, reason: str) -> DunningCase:
    """No more retries or notices; the invoice stays open for the rep to settle."""
    _require(actor, "stop this collection")
    reason = require_reason(reason)
    with transaction.atomic(durable=True):
        case = _locked_case(invoice, "stop this collection")
        old = move(case, DunningCase.Status.STOPPED, what="stop this collection")
        case.ended_at, case.end_reason = clock.now(), reason
        case.next_attempt_at = None
        case.save()
        audit.record(
            "collection.stopped",
            case,
            actor=actor,
            reason=reason,
            contact_id=case.contact_id,
            before={"status": old},
        )
    return case


def pause_collection(
    invoice: Invoice, *, until: dt.datetime, actor: User, reason: str
) -> DunningCase:
    """Hold retries until `until`; attempts that fall due meanwhile run when it ends."""
    _require(actor, "pause this collection")
    reason = require_reason(reason)
    if until <= clock.now():
        raise InvalidRequest("Pause until a later time.", field="until")
    checked_day(until.date(), field="until")
    with transaction.atomic(durable=True):
        case = _locked_case(invoice, "pause this collection")
        if case.status != DunningCase.Status.ACTIVE:
            raise InvalidTransition("Cannot pause this collection: it is paused already.")
        move(case, DunningCase.Status.PAUSED, what="pause this collection")
        case.paused_until = until
        case.save()
        audit.record(
            "collection.paused",
            case,
            actor=actor,
            reason=reason,
            contact_id=case.contact_id,
            after={"until": until.isoformat()},
        )
    return case


def _notice_text(pk: int | None) -> dict | None:
    fields = ("subject", "body_text", "body_html")
    return NoticeTemplate.objects.filter(pk=pk).values(*fields).first() if pk else None


def save_policy(
    policy: DunningPolicy,
    *,
    changes: dict,
    notices: Iterable[NoticeTemplate] = (),
    actor: User,
) -> DunningPolicy:
    """Save a new or edited policy and its notices together, with one audit event.

    `changes` maps each changed field to its old value (None for a new policy). Not durable:
    the admin saves a policy inside its own transaction, and must write this event too."""
    created = policy.pk is None
    perm = "dunning.add_dunningpolicy" if created else "dunning.change_dunningpolicy"
    if actor is None or not actor.has_perm(perm):
        raise NotAllowed("You do not have permission to change dunning policies.")
    with transaction.atomic():
        if policy.is_default:
            # One default at a time (a unique constraint): hand the flag over in one step.
            DunningPolicy.objects.filter(is_default=True).exclude(pk=policy.pk).update(
                is_default=False
            )
        policy.save()
        before = {} if created else {k: str(v) for k, v in changes.items()}
        after = {k: str(getattr(policy, k)) for k in changes}
        for notice in notices:
            notice.policy = policy
            old = _notice_text(notice.pk)
            notice.save()
            # A notice is what customers read: its text changes are part of the policy's event.
            if (new := _notice_text(notice.pk)) != old:
                before[f"notice {notice.kind}"], after[f"notice {notice.kind}"] = old, new
        audit.record(
            "dunning_policy.created" if created else "dunning_policy.changed",
            policy,
            actor=actor,
            before=before,
            after=after,
        )
    return policy
