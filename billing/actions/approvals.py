"""Requests above a rep's limit: the rep asks, a manager approves (the action runs as the
manager) or declines. What each action needs is in billing.approvable.

Approving runs the action exactly once, however many managers click at the same moment:
the request row is locked, its lease (`claimed_at`) is taken with the request still pending,
and the action runs with the key `approval:<id>`. A second approver waits on the lock and then
finds the request claimed or decided; an approval that died after its claim is carried out
again once the lease runs out, under the same key, so it returns the first run's result.
"""

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Model

from billing import errors, followups, limits
from billing.approvable import SPECS, subject_of
from billing.models import ApprovalRequest
from billing.permissions import optional_reason, require, require_reason
from billing.steps import keys, locks
from billing.transitions import APPROVAL, check_in, move_in
from core import audit, clock
from core.models import IdempotencyKey

Status = ApprovalRequest.Status
# Longer than any action takes, gateway call included; a claim older than this was abandoned.
LEASE = dt.timedelta(minutes=2)

WITHIN_LIMIT = "This is within your limit: you can do it yourself."
OWN_REQUEST = "You cannot decide your own request: another manager must."
BEING_APPROVED = "Another manager is approving this request right now."
STALE = "What the rep was shown no longer holds: {changes}."
ALREADY_ASKED = (
    "A manager has already been asked for exactly this: the request is waiting in the "
    "approvals queue."
)


def ask_manager(
    subject: Model,
    *,
    kind: str,
    params: dict,
    actor: User,
    reason: str,
    idempotency_key: str | None = None,
) -> ApprovalRequest:
    """Ask a manager to approve an action the rep's limit refuses. Refused like the action
    itself for anything but the limit, and refused when the action is within the limit."""
    spec = SPECS[kind]
    require(actor, spec.asking_perm, "ask for this")
    reason = require_reason(reason)
    if not limits.bound(actor):
        raise errors.InvalidRequest(WITHIN_LIMIT)
    with transaction.atomic(durable=True):
        asked = {"kind": kind, "subject": subject.pk, **params}
        slot = keys.claim(idempotency_key, "ask_manager", asked)
        if slot.prior:
            return slot.prior
        locked = spec.lock(subject)
        params = spec.settle(locked, params)
        preview = spec.plan(locked, params)
        try:
            spec.limit(actor, locked, params)
        except errors.AboveRepLimit:
            pass
        else:
            raise errors.InvalidRequest(WITHIN_LIMIT)
        # The same ask from a second form (another tab, the form opened again) would queue the
        # same decision twice; the subject's lock, held here, orders two asks made at once.
        waiting = ApprovalRequest.objects.filter(
            kind=kind, status=ApprovalRequest.Status.PENDING, **{spec.field: locked}
        ).values_list("params", flat=True)
        if params in waiting:
            raise errors.InvalidRequest(ALREADY_ASKED)
        request = ApprovalRequest.objects.create(
            kind=kind,
            contact_id=locked.contact_id,
            params=params,
            preview=preview,
            summary=spec.summary(locked, params)[:300],
            reason=reason,
            requested_by=actor,
            created_at=clock.now(),
            **{spec.field: locked},
        )
        audit.record(
            "approval.requested",
            request,
            actor=actor,
            reason=reason,
            contact_id=request.contact_id,
            after={"kind": kind, "summary": request.summary, "preview": preview},
        )
        followups.approval_requested(request)
        slot.fill(request)
    return request


def approve_request(request: ApprovalRequest, *, actor: User, note: str = "") -> ApprovalRequest:
    """Carry out the request as `actor`, if its preview still holds; otherwise refuse it with
    what changed. Returns the request, approved or refused."""
    require(actor, "decide_approvals", "approve requests")
    note = optional_reason(note)
    spec = SPECS[request.kind]
    key = f"approval:{request.pk}"
    with transaction.atomic(durable=True):
        locked = locks.lock_approval(request.pk)
        _require_decidable(locked, actor, Status.APPROVED, "approve this request")
        # Only a first run is compared: a run that died after acting left its key behind, and
        # its own effect is what moved the figures.
        if not IdempotencyKey.objects.filter(key=key).exists():
            stale = _stale(locked)
            if stale:
                _decide(locked, Status.REFUSED, actor, note=stale)
                return locked
        locked.claimed_at = clock.now()
        locked.save(update_fields=["claimed_at"])
    try:
        with audit.asked_by(locked.requested_by, request_id=locked.pk):
            result = spec.run(
                subject_of(locked),
                locked.params,
                actor=actor,
                reason=locked.reason,
                idempotency_key=key,
            )
    except errors.BillingError as exc:
        return _finish(locked.pk, Status.REFUSED, actor, note=exc.message)
    return _finish(locked.pk, Status.APPROVED, actor, note=note, outcome=spec.outcome(result))


def decline_request(request: ApprovalRequest, *, actor: User, reason: str) -> ApprovalRequest:
    """Decline with a reason the rep reads on the record."""
    require(actor, "decide_approvals", "decline requests")
    reason = require_reason(reason)
    with transaction.atomic(durable=True):
        locked = locks.lock_approval(request.pk)
        _require_decidable(locked, actor, Status.DECLINED, "decline this request")
        _decide(locked, Status.DECLINED, actor, note=reason)
    return locked


def _require_decidable(request: ApprovalRequest, actor: User, new: str, what: str) -> None:
    check_in(APPROVAL, request, new, what=what, noun="request")
    if request.requested_by_id == actor.pk:
        raise errors.NotAllowed(OWN_REQUEST)
    if request.claimed_at and request.claimed_at > clock.now() - LEASE:
        raise errors.InvalidTransition(BEING_APPROVED)


def _stale(request: ApprovalRequest) -> str:
    """Why the request's preview no longer holds ("" when a fresh plan gives the same)."""
    spec = SPECS[request.kind]
    try:
        fresh = spec.plan(spec.lock(subject_of(request)), request.params)
    except errors.BillingError as exc:
        return exc.message
    if fresh == request.preview:
        return ""
    was, now = dict(request.preview), dict(fresh)
    changes = [
        f"{label} was {was.get(label, 'not shown')}, now {now.get(label, 'not shown')}"
        for label in dict.fromkeys([*was, *now])
        if was.get(label) != now.get(label)
    ]
    return STALE.format(changes="; ".join(changes))


def _finish(pk: int, status: str, actor: User, *, note: str, outcome: str = "") -> ApprovalRequest:
    with transaction.atomic(durable=True):
        locked = locks.lock_approval(pk)
        if locked.status == Status.PENDING:
            _decide(locked, status, actor, note=note, outcome=outcome)
    return locked


def _decide(
    request: ApprovalRequest, status: str, actor: User, *, note: str, outcome: str = ""
) -> None:
    """Record the decision with its audit event, under the request's lock; the rep hears of
    it once it commits."""
    what = {Status.APPROVED: "approve", Status.DECLINED: "decline", Status.REFUSED: "refuse"}
    old = move_in(APPROVAL, request, status, what=f"{what[status]} this request", noun="request")
    request.decided_by, request.decided_at = actor, clock.now()
    request.decision_note, request.outcome = note, outcome[:300]
    request.claimed_at = None
    request.save()
    audit.record(
        f"approval.{status}",
        request,
        actor=actor,
        reason=note,
        contact_id=request.contact_id,
        before={"status": old},
        after={
            "status": status,
            "summary": request.summary,
            "outcome": request.outcome,
            "requested_by": request.requested_by.username,
            "requested_by_name": request.requested_by.get_full_name()
            or request.requested_by.username,
            "approval_request": request.pk,
        },
    )
    followups.approval_decided(request)
