"""The contact record: every app's panels about one contact, composed for the rep's page.

It runs a fixed number of queries however many invoices the contact has; the invoices panel is
keyset-paginated on (issued_at, id) and the history on (created_at, id), each on its own cursor.
"""

from dataclasses import dataclass
from functools import cached_property

from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q
from djmoney.money import Money

from billing.expiry import expiring_before_next_charge
from billing.models import (
    AccessGrant,
    ApprovalRequest,
    Commission,
    Delivery,
    Dispute,
    Invoice,
    Order,
    OrderChange,
    Payment,
    Refund,
)
from billing.selectors import contact_balances, contact_credits, with_amounts
from contacts.models import Contact
from core.models import AuditEvent
from core.pagination import PAGE, keyset_page
from desk.presenters import actor_name, change_label, changed_fields, describe, invoice_badge
from dunning.models import DunningCase

# The record's pages: a screenful each; older rows are a page away (keyset cursors).
RECORD_PAGE = 25
# A history page: enough for a day's story of one contact; older events are a page away.
HISTORY = 30
CHANGES = 5  # an order's latest changes shown under it; the full story is in the history
ENDED = (Order.Status.CANCELLED, Order.Status.COMPLETED)


# What history entries name (the invoice or order), loaded with them in one query per kind.
_SUBJECTS = [
    Invoice.objects.all(),
    Order.objects.all(),
    Payment.objects.select_related("invoice"),
    Refund.objects.select_related("payment__invoice"),
    Commission.objects.select_related("invoice"),
    DunningCase.objects.select_related("invoice"),
    ApprovalRequest.objects.all(),
    AccessGrant.objects.select_related("payment__invoice"),
    Delivery.objects.select_related("payment__invoice"),
    Dispute.objects.select_related("payment__invoice"),
]


@dataclass
class ContactRecord:
    """The contact record's panels; each loads on first use, so a panel refresh loads one."""

    contact: Contact
    before: str | None = None
    history_before: str | None = None

    @cached_property
    def balances(self) -> list[Money]:
        return [b for b in contact_balances(self.contact).values() if b.amount]

    @cached_property
    def credits(self) -> list[Money]:
        """What Paydesk owes the contact, per currency: spent on their next invoices."""
        return [c for c in contact_credits(self.contact).values() if c.amount]

    @cached_property
    def cards(self) -> list:
        """Cards on file; each with `expires_before`, the first charge due after it expires."""
        cards = list(self.contact.payment_methods.filter(active=True))
        expiring = expiring_before_next_charge(self.contact)
        for card in cards:
            card.expires_before = expiring.get(card.pk)
        return cards

    @cached_property
    def _invoice_page(self) -> tuple[list[Invoice], str | None]:
        payments = Payment.objects.order_by("-created_at", "-pk").prefetch_related("refunds")
        qs = with_amounts(
            Invoice.objects.filter(contact=self.contact)
            .select_related("replaced_by", "dunning_case")
            .prefetch_related(Prefetch("payments", queryset=payments))
        )
        invoices, cursor = keyset_page(qs, "issued_at", self.before, size=RECORD_PAGE)
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
            .prefetch_related("refunds", "disputes")
            .order_by("-created_at", "-pk")[:RECORD_PAGE]
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
                change.label = change_label(change.kind)
                change.actor_name = actor_name(change.actor)
                change.detail = changed_fields(change.before, change.after)
        return orders

    @cached_property
    def approvals(self) -> list[ApprovalRequest]:
        """What reps asked a manager for on this contact, and how each ended."""
        requests = list(
            ApprovalRequest.objects.filter(contact=self.contact)
            .select_related("requested_by", "decided_by")
            .order_by("-created_at", "-pk")[:PAGE]
        )
        for request in requests:
            request.rep_name = actor_name(request.requested_by)
            request.manager_name = actor_name(request.decided_by)
        return requests

    @cached_property
    def commissions(self) -> list[Commission]:
        return list(
            Commission.objects.filter(invoice__contact=self.contact)
            .select_related("partner", "invoice")
            .order_by("-created_at", "-pk")[:PAGE]
        )

    @cached_property
    def _history_page(self) -> tuple[list[AuditEvent], str | None]:
        events, cursor = keyset_page(
            AuditEvent.objects.filter(contact_id=self.contact.pk)
            .select_related("actor")
            .prefetch_related(GenericPrefetch("subject", _SUBJECTS)),
            "created_at",
            self.history_before,
            size=HISTORY,
        )
        for event in events:
            describe(event)
        return events, cursor

    @property
    def history(self) -> list[AuditEvent]:
        return self._history_page[0]

    @property
    def next_history(self) -> str | None:
        return self._history_page[1]
