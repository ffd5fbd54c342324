"""The contact record: every app's panels about one contact, composed for the rep's page.

It runs a fixed number of queries however many invoices the contact has; the invoices panel is
keyset-paginated on (issued_at, id) and the history on (created_at, id), each on its own cursor.
"""

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString
from django.utils.timezone import get_current_timezone, localtime
from djmoney.money import Money

from billing.expiry import expiring_before_next_charge
from billing.models import (
    ApprovalRequest,
    Commission,
    Invoice,
    Order,
    Payment,
    Refund,
)
from billing.selectors import contact_books
from contacts.models import Contact
from core.locales import DEFAULT as DEFAULT_LOCALE
from core.models import AuditEvent
from core.money import format_money
from core.pagination import PAGE, keyset_page
from core.row_urls import id_url
from desk import record_queries as queries
from desk.presenters import (
    Action,
    Refundable,
    action_links,
    actor_name,
    change_label,
    changed_fields,
    describe,
    invoice_action_urls,
    invoice_actions,
    invoice_badge,
    subject_name,
)

# Labels of the payments panel's choices, from dicts built once: get_FOO_display() builds one
# from the field's choices on every call (12 us; the panel shows some sixty).
_PAYMENT_METHODS, _PAYMENT_STATUSES = dict(Payment.Method.choices), dict(Payment.Status.choices)
_REFUND_SETTLES, _REFUND_STATUSES = dict(Refund.Settle.choices), dict(Refund.Status.choices)

# The record's pages: a screenful each; older rows are a page away (keyset cursors).
RECORD_PAGE = 25
# A history page: enough for a day's story of one contact; older events are a page away.
HISTORY = 30


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """An invoice as its row shows it: dates and amounts already text, its actions decided."""

    pk: int
    number: str
    url: str
    event_name: str
    issued: str
    badge: str
    badge_label: str
    total: str
    paid: str
    refunded: str  # empty when nothing was refunded
    due: str
    actions: list[Action]

    @property
    def links(self) -> SafeString:
        return action_links(self.actions, f"slot-{self.pk}")


class Moments:
    """Moments as one page of the record writes them, in the rep's time zone and language, both
    looked up once a page: each lookup goes through a context-local, and a page writes some 80
    moments."""

    def __init__(self) -> None:
        self._zone = get_current_timezone()
        self._months: dict[int, str] = {}

    def local(self, moment: datetime) -> datetime:
        return localtime(moment, self._zone)

    def text(self, moment: datetime) -> str:
        """The template's `date:"j M Y H:i"`, spelled out as Django's DateFormat spells each
        letter (`M` is the translated month's abbreviation). date_format goes through its
        generic format machinery: 71 us a moment against 20."""
        local = self.local(moment)
        month = self._months.get(local.month)
        if month is None:
            month = self._months[local.month] = MONTHS_3[local.month].title()
        return f"{local.day} {month} {local.year:04d} {local.hour:02d}:{local.minute:02d}"


@dataclass
class ContactRecord:
    """The contact record's panels; each loads on first use, so a panel refresh loads one."""

    contact: Contact
    before: str | None = None
    history_before: str | None = None
    locale: str = DEFAULT_LOCALE  # the rep's, for every amount the rows carry as text
    can: Mapping[str, bool] = field(default_factory=dict)  # the rep's billing permissions
    _texts: dict = field(default_factory=dict, init=False, repr=False)
    _moments: Moments = field(default_factory=Moments, init=False, repr=False)

    def _text(self, amount: Decimal, currency: str) -> str:
        """An amount as the rep reads it; a figure repeated on the page is formatted once."""
        key = (amount, currency)
        if key not in self._texts:
            self._texts[key] = format_money(Money(amount, currency), self.locale)
        return self._texts[key]

    def _money(self, money: Money) -> str:
        return self._text(money.amount, money.currency.code)

    @cached_property
    def _books(self) -> tuple[dict[str, Money], dict[str, Money]]:
        return contact_books(self.contact)  # balances and credits in one query

    @cached_property
    def balances(self) -> list[Money]:
        return [b for b in self._books[0].values() if b.amount]

    @cached_property
    def credits(self) -> list[Money]:
        """What Paydesk owes the contact, per currency: spent on their next invoices."""
        return [c for c in self._books[1].values() if c.amount]

    @cached_property
    def cards(self) -> list:
        """Cards on file; each with `expires_before`, the first charge due after it expires."""
        cards = list(self.contact.payment_methods.filter(active=True))
        expiring = expiring_before_next_charge(self.contact, cards)
        for card in cards:
            card.expires_before = expiring.get(card.pk)
        return cards

    @cached_property
    def _invoice_page(self) -> tuple[list[InvoiceRow], str | None]:
        qs = queries.INVOICE_ROWS.filter(contact=self.contact)
        invoices, cursor = keyset_page(qs, "issued_at", self.before, size=RECORD_PAGE)
        return self._invoice_rows(invoices), cursor

    def _invoice_rows(self, invoices: list[Invoice]) -> list[InvoiceRow]:
        """The page's rows with their payments (one query, not a queryset per invoice), every
        figure formatted once in the rep's locale."""
        payments = defaultdict(list)  # invoice id -> (pk, status, amount, refunded), newest first
        if invoices:
            rows = queries.INVOICE_PAYMENTS.filter(invoice_id__in=[i.pk for i in invoices])
            for invoice_id, *payment in rows:
                payments[invoice_id].append(payment)
        # The cards are read only when a row could offer to charge one again.
        chargeable = self.can.get("retry_charge") and any(
            i.status == Invoice.Status.OPEN and i.due_amount for i in invoices
        )
        has_cards = bool(chargeable and self.cards)
        referred = bool(self.contact.referred_by_id)
        invoice_url, urls = id_url("billing:invoice-document"), invoice_action_urls()
        result = []
        for inv in invoices:
            text = functools.partial(self._text, currency=inv.currency)
            paid = payments[inv.pk]
            refundable = [
                Refundable(pk, amount - refunded, text(amount - refunded))
                for pk, status, amount, refunded in paid
                if status == Payment.Status.SUCCEEDED and amount - refunded
            ]
            badge, label = invoice_badge(
                inv, case_status=inv.case_status, last_payment_status=paid[0][1] if paid else None
            )
            result.append(
                InvoiceRow(
                    pk=inv.pk,
                    number=inv.number,
                    url=invoice_url(inv.pk),
                    event_name=inv.event_name,
                    issued=self._moments.text(inv.issued_at),
                    badge=badge,
                    badge_label=label,
                    total=text(inv.total_amount),
                    paid=text(inv.paid_amount),
                    refunded=text(inv.refunded_amount) if inv.refunded_amount else "",
                    due=text(inv.due_amount),
                    actions=invoice_actions(
                        inv, refundable, self.can, urls=urls, has_cards=has_cards, referred=referred
                    ),
                )
            )
        return result

    @property
    def invoices(self) -> list[InvoiceRow]:
        return self._invoice_page[0]

    @property
    def next_invoices(self) -> str | None:
        return self._invoice_page[1]

    @cached_property
    def payments(self) -> list[Payment]:
        """The latest payments, each with `refund_rows` and `dispute_rows`: one query each,
        grouped here (prefetch_related builds a queryset per payment), amounts as text."""
        mine = queries.PAYMENTS.filter(contact=self.contact)
        payments = list(mine.order_by("-created_at", "-pk")[:RECORD_PAGE])
        refunds, disputes = defaultdict(list), defaultdict(list)
        if payments:
            ids = [p.pk for p in payments]
            for refund in queries.REFUNDS.filter(payment__in=ids):  # newest first (Meta)
                refund.when, refund.amount_text = (
                    self._moments.text(refund.created_at),
                    self._money(refund.amount),
                )
                refund.settle_label = _REFUND_SETTLES.get(refund.settle, refund.settle)
                refund.status_label = _REFUND_STATUSES.get(refund.status, refund.status)
                refunds[refund.payment_id].append(refund)
            for dispute in queries.DISPUTES.filter(payment__in=ids):
                disputes[dispute.payment_id].append(dispute)
        for payment in payments:
            payment.invoice_number = Invoice.number_of(payment.invoice_id)
            payment.how = (
                str(payment.payment_method)
                if payment.payment_method
                else _PAYMENT_METHODS.get(payment.method, payment.method)
            )
            payment.status_label = _PAYMENT_STATUSES.get(payment.status, payment.status)
            payment.when, payment.amount_text = (
                self._moments.text(payment.created_at),
                self._money(payment.amount),
            )
            succeeded = payment.status == Payment.Status.SUCCEEDED
            # On the amounts, not `payment.refundable`: Money arithmetic is some 20 us a payment.
            left = payment.amount.amount - payment.amount_refunded.amount
            payment.left_text = self._text(left, payment.amount.currency.code) if succeeded else ""
            payment.refund_rows, payment.dispute_rows = refunds[payment.pk], disputes[payment.pk]
        return payments

    @cached_property
    def orders(self) -> list[Order]:
        """Open orders first, then ended ones; each with its latest changes (one query)."""
        orders = list(queries.ORDERS.filter(contact=self.contact)[:PAGE])
        for order in orders:
            order.price_total = order.unit_price * order.quantity
            order.is_open = order.status not in queries.ENDED
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
            queries.EVENTS.filter(contact_id=self.contact.pk),
            "created_at",
            self.history_before,
            size=HISTORY,
        )
        for event in events:
            describe(event)
            event.about = subject_name(
                invoice_id=event.about_invoice,
                order_id=event.about_order,
                request_id=event.about_request,
            )
            event.stamp = self._moments.local(event.created_at).isoformat()
            event.when = self._moments.text(event.created_at)
            event.amount_text = self._money(event.amount) if event.amount else ""
        return events, cursor

    @property
    def history(self) -> list[AuditEvent]:
        return self._history_page[0]

    @property
    def next_history(self) -> str | None:
        return self._history_page[1]
