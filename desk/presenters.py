"""How the contact record shows what the apps store: the badge a rep reads first on an invoice,
and plain words for audit events and order changes ("Collection started", not
"collection.started"). Presentation only: nothing here reads or writes the database."""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

from billing.models import Invoice, Payment
from core.models import AuditEvent
from core.roles import SYSTEM_USERNAME
from core.row_urls import id_url
from dunning.models import DunningCase

AUTOMATIC = "Paydesk (automatic)"  # the one name for whatever no person did
DATE = "%-d %b %Y"  # the record's date format; templates use the same: "j M Y"

COLLECTING = (DunningCase.Status.ACTIVE, DunningCase.Status.PAUSED)


def invoice_badge(
    invoice: Invoice, *, case_status: str | None, last_payment_status: str | None
) -> tuple[str, str]:
    """(css class, label) of the status a rep reads first; declined = open after a failed charge.

    `invoice` carries `with_amounts`' paid and refunded figures; `case_status` is its dunning
    case's (None when never chased) and `last_payment_status` its newest payment's."""
    if invoice.status == Invoice.Status.OPEN:
        if case_status in COLLECTING:
            return "collections", "In collections"
        if last_payment_status == Payment.Status.FAILED:
            return "declined", "Declined"
        return "open", "Open"
    if invoice.status == Invoice.Status.PAID and invoice.refunded_amount:
        if invoice.refunded_amount >= invoice.paid_amount:
            return "refunded", "Refunded"
        return "partly-refunded", "Partly refunded"
    return invoice.status.replace("_", "-"), invoice.get_status_display()


@dataclass(frozen=True, slots=True)
class Action:
    """A link in a row's actions; an inline one opens its form in the row's slot (htmx)."""

    label: str
    url: str
    inline: bool = True
    note: str = ""


def action_links(actions: list[Action], slot: str) -> SafeString:
    """A row's actions cell: a link each, an inline one fetching its form into `slot` (a DOM id).

    Written here rather than looped over in the template: at seven lookups and two {% if %}
    per link, the invoices panel's 25 rows of up to nine links were half the page's template
    nodes. Every value is escaped (html.escape, as Django's own `escape` filter does)."""
    target = escape(slot)
    links = []
    for action in actions:
        url = escape(action.url)
        fetch = f' hx-get="{url}" hx-target="#{target}"' if action.inline else ""
        note = f' <span class="muted">{escape(action.note)}</span>' if action.note else ""
        links.append(f'<a href="{url}"{fetch}>{escape(action.label)}{note}</a>')
    return mark_safe("\n".join(links))  # every value above went through escape()


@dataclass(frozen=True, slots=True)
class Refundable:
    """A captured payment of an invoice row, with what is left to refund of it."""

    pk: int
    left: Decimal
    left_text: str


# The routes of an invoice row's actions. Looked up once a page (`invoice_action_urls`): each
# id_url reads the request's script prefix and urlconf, and a page has some 200 links.
_ROW_ROUTES = (
    "billing:payment-refund",
    "billing:invoice-retry",
    "billing:invoice-mark-paid",
    "billing:invoice-discount",
    "billing:invoice-write-off",
    "billing:invoice-reverse-write-off",
    "billing:invoice-void",
    "billing:invoice-replace",
    "billing:commission-rerun",
    "billing:invoice-send",
)


def invoice_action_urls() -> dict[str, Callable[[int], str]]:
    """The URL of each invoice row action for any id, by route name, for one page of rows."""
    return {route: id_url(route) for route in _ROW_ROUTES}


def invoice_actions(
    invoice: Invoice,
    refundable: list[Refundable],
    can: Mapping[str, bool],
    *,
    urls: Mapping[str, Callable[[int], str]],
    has_cards: bool,
    referred: bool,
) -> list[Action]:
    """What the rep may do to an invoice from its row, in the order the row lists them.

    `invoice` carries `with_amounts`' figures and `replacement_id`; `can` holds the rep's billing
    permissions without their app label; `urls` is `invoice_action_urls()`."""
    pk, status = invoice.pk, invoice.status
    actions = [
        Action("Refund", urls["billing:payment-refund"](p.pk), note=f"(up to {p.left_text})")
        for p in refundable
        if can.get("refund")
    ]
    if status == Invoice.Status.OPEN:
        owed = bool(invoice.due_amount)
        if can.get("retry_charge") and has_cards and owed:
            actions.append(Action("Charge again", urls["billing:invoice-retry"](pk)))
        if can.get("mark_paid"):
            actions.append(Action("Mark paid", urls["billing:invoice-mark-paid"](pk)))
        if can.get("discount"):
            actions.append(Action("Discount", urls["billing:invoice-discount"](pk)))
        if owed and (can.get("write_off") or can.get("ask_write_off")):
            # Someone who may only ask gets the same form, offering to ask a manager.
            label = "Write off" if can.get("write_off") else "Ask to write off"
            actions.append(Action(label, urls["billing:invoice-write-off"](pk)))
    if status == Invoice.Status.WRITTEN_OFF and can.get("write_off"):
        url = urls["billing:invoice-reverse-write-off"](pk)
        actions.append(Action("Reverse write-off", url))
    voidable = status in (Invoice.Status.OPEN, Invoice.Status.PAID)
    if voidable and can.get("void") and invoice.paid_amount == invoice.refunded_amount:
        actions.append(Action("Void", urls["billing:invoice-void"](pk)))
    if can.get("replace_invoice") and invoice.replacement_id is None:
        if status != Invoice.Status.WRITTEN_OFF:
            url = urls["billing:invoice-replace"](pk)
            actions.append(Action("Replace", url, inline=False))  # a page of its own
    if can.get("rerun_commissions") and referred:
        actions.append(Action("Re-run commissions", urls["billing:commission-rerun"](pk)))
    if can.get("send_invoice"):
        actions.append(Action("Resend", urls["billing:invoice-send"](pk)))
    return actions


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
    "approval.requested": "Manager's approval asked",
    "approval.approved": "Request approved",
    "approval.declined": "Request declined",
    "approval.refused": "Request refused at approval",
}


def changed_fields(before: dict, after: dict) -> str:
    """ "unit price: 90.00 USD → 100.00 USD" for each field the change moved."""
    moved = [
        f"{key.replace('_', ' ')}: {_value(before[key])} → {_value(after[key])}"
        for key in after
        if key in before and before[key] != after[key]
    ]
    return "; ".join(moved)


def _value(value) -> str:
    """A stored before/after value as the record writes it: dates like every other date."""
    if value is None or value == "":
        return "none"
    if isinstance(value, str) and len(value) == 10:
        try:
            return f"{dt.date.fromisoformat(value):{DATE}}"
        except ValueError:
            pass
    return str(value)


def actor_name(user) -> str:
    if user is None or user.username == SYSTEM_USERNAME:
        return AUTOMATIC
    return user.get_full_name() or user.username


def subject_name(*, invoice_id: int | None, order_id: int | None, request_id: int | None) -> str:
    """Which invoice, order or manager's request an event is about, as the rep reads it in the
    tables; empty for the rest (a card, the contact)."""
    if invoice_id is not None:
        return Invoice.number_of(invoice_id)
    if order_id is not None:
        return f"order #{order_id}"
    if request_id is not None:
        return f"request #{request_id}"
    return ""


def describe(event: AuditEvent) -> None:
    """A label a rep reads ("Collection started", not "collection.started") and, for order and
    collection events, what moved."""
    event.label = LABELS.get(event.action) or (
        event.action.replace(".", " ").replace("_", " ").capitalize()
    )
    event.family = event.action.split(".", 1)[0]
    event.actor_name = actor_name(event.actor)
    detail = ""
    if event.action == "invoice.sent" and event.after.get("to"):
        detail = f"to {event.after['to']}"
    elif event.family == "order":
        detail = changed_fields(event.before, event.after)
    elif event.action == "collection.started":
        code = (event.after.get("decline_code") or "").replace("_", " ")
        detail = f"policy {event.after.get('policy', '')}" + (f"; declined: {code}" if code else "")
    elif event.action == "collection.paused" and event.after.get("until"):
        detail = f"until {dt.datetime.fromisoformat(event.after['until']):{DATE}}"
    if event.family != "approval" and event.after.get("requested_by"):
        # A manager carrying out a rep's request: the actor is the manager, this names the rep.
        asked = f"asked by {event.after.get('requested_by_name') or event.after['requested_by']}"
        detail = f"{detail}; {asked}" if detail else asked
    elif event.family == "approval":
        detail = event.after.get("summary", "")
    event.detail = detail


def change_label(kind: str) -> str:
    return CHANGE_LABELS.get(kind) or kind.replace("_", " ").capitalize()
