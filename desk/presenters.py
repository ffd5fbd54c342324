"""How the contact record shows what the apps store: the badge a rep reads first on an invoice,
and plain words for audit events and order changes ("Collection started", not
"collection.started"). Presentation only: nothing here reads or writes the database."""

import datetime as dt

from billing.models import Invoice, Payment
from core.models import AuditEvent
from dunning.models import DunningCase

COLLECTING = (DunningCase.Status.ACTIVE, DunningCase.Status.PAUSED)


def invoice_badge(invoice: Invoice) -> tuple[str, str]:
    """(css class, label) of the status a rep reads first; declined = open after a failed charge."""
    if invoice.status == Invoice.Status.OPEN:
        case = getattr(invoice, "dunning_case", None)  # select_related; None when never chased
        if case is not None and case.status in COLLECTING:
            return "collections", "In collections"
        payments = list(invoice.payments.all())  # prefetched, newest first
        if payments and payments[0].status == Payment.Status.FAILED:
            return "declined", "Declined"
        return "open", "Open"
    if invoice.status == Invoice.Status.PAID and invoice.refunded.amount:
        if invoice.refunded >= invoice.paid:
            return "refunded", "Refunded"
        return "partly-refunded", "Partly refunded"
    return invoice.status.replace("_", "-"), invoice.get_status_display()


CHANGE_LABELS = {"terms_changed": "Price or quantity changed", "card_changed": "Card changed"}
LABELS = {
    "collection.started": "Collection started",
    "collection.recovered": "Collection recovered: the invoice was paid",
    "collection.exhausted": "Collection ended: retries used up",
    "collection.stopped": "Collection stopped",
    "collection.paused": "Collection paused",
    "collection.resumed": "Collection resumed",
    "commissions.rerun": "Commissions re-run",
    "order.terms_changed": "Order price or quantity changed",
    "order.card_changed": "Order card changed",
    "order.past_due": "Order past due",
}


def changed_fields(before: dict, after: dict) -> str:
    """ "unit price: 90.00 USD → 100.00 USD" for each field the change moved."""
    moved = [
        f"{key.replace('_', ' ')}: {before[key]} → {after[key]}"
        for key in after
        if key in before and before[key] != after[key]
    ]
    return "; ".join(moved)


def describe(event: AuditEvent) -> None:
    """A label a rep reads ("Collection started", not "collection.started") and, for order and
    collection events, what moved."""
    event.label = LABELS.get(event.action) or (
        event.action.replace(".", " ").replace("_", " ").capitalize()
    )
    event.family = event.action.split(".", 1)[0]
    detail = ""
    if event.family == "order":
        detail = changed_fields(event.before, event.after)
    elif event.action == "collection.started":
        code = (event.after.get("decline_code") or "").replace("_", " ")
        detail = f"policy {event.after.get('policy', '')}" + (f"; declined: {code}" if code else "")
    elif event.action == "collection.paused" and event.after.get("until"):
        detail = f"until {dt.datetime.fromisoformat(event.after['until']):%-d %b %Y}"
    event.detail = detail


def change_label(kind: str) -> str:
    return CHANGE_LABELS.get(kind) or kind.replace("_", " ").capitalize()
