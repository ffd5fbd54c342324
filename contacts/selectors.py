"""Reads for the contact screens: search, keyset pages, and the contact record's panels.

Pages are keyset-paginated on (timestamp, id) so page 1,000 costs what page 1 costs (no OFFSET).
The contact record runs a fixed number of queries however many invoices the contact has.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
from djmoney.money import Money

from billing.models import Commission, Invoice, Order, OrderChange, Payment
from billing.selectors import contact_balances, with_amounts
from contacts.models import Contact
from core.models import AuditEvent

PAGE = 50
HISTORY = 100
CHANGES = 5  # an order's latest changes shown under it; the full story is in the history
# DunningCase.Status.ACTIVE and PAUSED: the invoice is being chased (contacts does not import
# dunning; the record reads the case through the invoice's `dunning_case` relation).
COLLECTING = ("active", "paused")
ENDED = (Order.Status.CANCELLED, Order.Status.COMPLETED)


def search_contacts(q: str) -> QuerySet[Contact]:
    """Every word must match a name, email or phone (so "ada love" finds Ada Lovelace)."""
    contacts = Contact.objects.select_related("referred_by")
    for word in q.split():
        contacts = contacts.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return contacts


def _cursor(moment: dt.datetime, pk: int) -> str:
    return f"{moment.isoformat()}_{pk}"


def keyset_page(
    qs: QuerySet, field: str, cursor: str | None, size: int = PAGE
) -> tuple[list, str | None]:
    """One page of `qs` newest first on (field, id), and the cursor of the next page."""
    if cursor:
        try:
            stamp, pk = cursor.rsplit("_", 1)
            moment, pk = dt.datetime.fromisoformat(stamp), int(pk)
        except ValueError:
            moment = None
        if moment is not None:
            qs = qs.filter(Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "pk__lt": pk}))
    rows = list(qs.order_by(f"-{field}", "-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (_cursor(getattr(rows[-1], field), rows[-1].pk) if more else None)


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


@dataclass
class ContactRecord:
    """The contact record's panels; each loads on first use, so a panel refresh loads one."""

    contact: Contact
    before: str | None = None

    @cached_property
    def balances(self) -> list[Money]:
        return [b for b in contact_balances(self.contact).values() if b.amount]

    @cached_property
    def cards(self) -> list:
        return list(self.contact.payment_methods.filter(active=True))

    @cached_property
    def _invoice_page(self) -> tuple[list[Invoice], str | None]:
        payments = Payment.objects.order_by("-created_at", "-pk").prefetch_related("refunds")
        qs = with_amounts(
            Invoice.objects.filter(contact=self.contact)
            .select_related("replaced_by", "dunning_case")
            .prefetch_related(Prefetch("payments", queryset=payments))
        )
        invoices, cursor = keyset_page(qs, "issued_at", self.before)
        for inv in invoices:
            inv.total = Money(inv.total_amount, inv.currency)
            inv.due = Money(inv.due_amount, inv.currency)
            inv.paid = Money(inv.paid_amount, inv.currency)
            inv.refunded = Money(inv.refunded_amount, inv.currency)
            inv.badge, inv.badge_label = invoice_badge(inv)
            inv.is_replaced = hasattr(inv, "replaced_by")
        return invoices, cursor

    @property
    def invoices(self) -> list[Invoice]:
        return self._invoice_page[0]

    @property
    def next_invoices(self) -> str | None:
        return self._invoice_page[1]

    @cached_property
    def payments(self) -> list[Payment]:
        return list(
            Payment.objects.filter(contact=self.contact)
            .select_related("invoice", "payment_method")
            .prefetch_related("refunds")
            .order_by("-created_at", "-pk")[:PAGE]
        )

    @cached_property
    def orders(self) -> list[Order]:
        """Open orders first, then ended ones; each with its latest changes (one query)."""
        changes = OrderChange.objects.select_related("actor").order_by("-created_at", "-pk")
        orders = list(
            Order.objects.filter(contact=self.contact)
            .select_related("product", "payment_method")
            .prefetch_related(Prefetch("changes", changes[:CHANGES], to_attr="recent_changes"))
            .alias(ended=ExpressionWrapper(Q(status__in=ENDED), output_field=BooleanField()))
            .order_by("ended", "-created_at", "-pk")[:PAGE]
        )
        for order in orders:
            order.price_total = order.unit_price * order.quantity
            order.is_open = order.status not in ENDED
            for change in order.recent_changes:
                change.label = (
                    CHANGE_LABELS.get(change.kind) or change.kind.replace("_", " ").capitalize()
                )
                change.detail = changed_fields(change.before, change.after)
        return orders

    @cached_property
    def commissions(self) -> list[Commission]:
        return list(
            Commission.objects.filter(invoice__contact=self.contact)
            .select_related("partner", "invoice")
            .order_by("-created_at", "-pk")[:PAGE]
        )

    @cached_property
    def history(self) -> list[AuditEvent]:
        events = list(
            AuditEvent.objects.filter(contact_id=self.contact.pk).select_related("actor")[:HISTORY]
        )
        for event in events:
            describe(event)
        return events


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
