"""Billing in the admin: every record here is view-only.

Money changes only through `billing.actions` (charge_sale, refund_payment, write_off_invoice,
...): each one checks permission, locks its rows, posts one balanced journal and writes its audit
event. An admin edit would do none of that, so invoices, payments, refunds and cards can be
searched, filtered and read here, never added, changed or deleted. The ledger is append-only and
the sandbox tables are the gateway's own state, so they are view-only too.

List pages select every foreign key they show, so a page costs the same number of queries
whatever the table's size; the big tables skip the full (unfiltered) count.
"""

import re

from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from djmoney.money import Money

from billing.models import (
    Invoice,
    InvoiceLine,
    Journal,
    LedgerEntry,
    Payment,
    PaymentMethod,
    Refund,
    SandboxCard,
    SandboxTransaction,
)
from billing.selectors import with_amounts
from core import money
from core.admin import ViewOnlyAdmin, ViewOnlyInline
from core.admin_paging import indexed_values_filter

_INVOICE_NUMBER = re.compile(r"#?(?:INV-?)?0*(\d{1,15})", re.IGNORECASE)
_CONTACT_SEARCH = ["contact__first_name", "contact__last_name", "contact__email"]


class InvoiceNumberSearch:
    """Let staff paste an invoice number ("INV-000042", "#42", "42") into the search box."""

    invoice_lookup = "invoice_id"

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = _INVOICE_NUMBER.fullmatch(search_term.strip())
        if not match:
            return found, may_have_duplicates
        by_number = Q(**{self.invoice_lookup: int(match[1])})
        return queryset.filter(by_number | Q(pk__in=found.values("pk"))), may_have_duplicates


class CurrencyFilter(admin.SimpleListFilter):
    """The configured currencies, rather than a DISTINCT over a large table."""

    title = "currency"
    parameter_name = "currency"

    def lookups(self, request, model_admin):
        return [(code, code) for code in settings.CURRENCIES]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset


class AmountCurrencyFilter(CurrencyFilter):
    parameter_name = "amount_currency"


def _invoice_number(invoice: Invoice | None) -> str:
    return invoice.number if invoice is not None else "-"


class InvoiceLineInline(ViewOnlyInline):
    model = InvoiceLine
    fields = readonly_fields = [
        "kind",
        "product",
        "description",
        "quantity",
        "unit_price",
        "amount",
        "period_start",
        "period_end",
    ]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class PaymentInline(ViewOnlyInline):
    model = Payment
    fields = readonly_fields = [
        "created_at",
        "method",
        "status",
        "amount",
        "amount_refunded",
        "payment_method",
        "reference",
        "decline_code",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment_method")


@admin.register(Invoice)
class InvoiceAdmin(InvoiceNumberSearch, ViewOnlyAdmin):
    """View-only: invoices change only through billing.actions (discount, mark paid, void,
    write off, ...), which keep the ledger and the audit trail in step."""

    invoice_lookup = "pk"
    list_display = [
        "invoice_number",
        "contact",
        "status",
        "source",
        "total",
        "due",
        "issued_at",
        "created_by",
    ]
    list_select_related = ["contact", "created_by"]
    list_filter = ["status", "source", CurrencyFilter, ("issued_at", admin.DateFieldListFilter)]
    search_fields = [*_CONTACT_SEARCH, "event_name"]
    inlines = [InvoiceLineInline, PaymentInline]

    def get_queryset(self, request):
        # Amounts come from the ledger, annotated in the same query as the rows.
        return with_amounts(super().get_queryset(request))

    @admin.display(description="number", ordering="pk")
    def invoice_number(self, invoice: Invoice) -> str:
        return invoice.number

    @admin.display(ordering="total_amount")
    def total(self, invoice: Invoice) -> Money:
        return Money(invoice.total_amount, invoice.currency)

    @admin.display(description="amount due", ordering="due_amount")
    def due(self, invoice: Invoice) -> Money:
        return Money(invoice.due_amount, invoice.currency)


class RefundInline(ViewOnlyInline):
    model = Refund
    fields = readonly_fields = ["created_at", "amount", "status", "settle", "reason", "actor"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Payment)
class PaymentAdmin(InvoiceNumberSearch, ViewOnlyAdmin):
    """View-only: charge, record, mark paid and refund through billing.actions."""

    list_display = [
        "created_at",
        "contact",
        "invoice_number",
        "amount",
        "amount_refunded",
        "status",
        "method",
        "payment_method",
        "reference",
        "gateway_ref",
    ]
    list_select_related = ["contact", "invoice", "payment_method"]
    list_filter = [
        "status",
        "method",
        AmountCurrencyFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = [
        *_CONTACT_SEARCH,
        "reference",
        "=gateway_ref",
        "=idempotency_key",
        "decline_code",
    ]
    inlines = [RefundInline]

    @admin.display(description="invoice", ordering="invoice")
    def invoice_number(self, payment: Payment) -> str:
        return _invoice_number(payment.invoice)


@admin.register(Refund)
class RefundAdmin(InvoiceNumberSearch, ViewOnlyAdmin):
    """View-only: refunds are made with billing.actions.refund_payment."""

    invoice_lookup = "payment__invoice_id"
    list_display = [
        "created_at",
        "contact",
        "invoice_number",
        "payment",
        "amount",
        "status",
        "settle",
        "actor",
    ]
    list_select_related = ["payment__contact", "payment__invoice", "actor"]
    list_filter = [
        "status",
        "settle",
        AmountCurrencyFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = [
        "payment__contact__first_name",
        "payment__contact__last_name",
        "payment__contact__email",
        "reason",
        "=gateway_ref",
        "=idempotency_key",
    ]

    @admin.display(ordering="payment__contact")
    def contact(self, refund: Refund):
        return refund.payment.contact

    @admin.display(description="invoice", ordering="payment__invoice")
    def invoice_number(self, refund: Refund) -> str:
        return _invoice_number(refund.payment.invoice)


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ViewOnlyAdmin):
    """View-only: cards are added with billing.actions.add_card and made default with
    set_default_card. Lists show brand, last 4 and expiry only, never the gateway token."""

    list_display = ["contact", "brand", "last4", "expiry", "is_default", "active", "gateway"]
    list_select_related = ["contact"]
    list_filter = ["brand", "active", "is_default", "gateway"]
    search_fields = [*_CONTACT_SEARCH, "=last4"]

    @admin.display(ordering="exp_year")
    def expiry(self, card: PaymentMethod) -> str:
        return f"{card.exp_month:02d}/{card.exp_year}"


class LedgerEntryInline(ViewOnlyInline):
    model = LedgerEntry
    fields = readonly_fields = ["account", "amount", "contact", "invoice"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contact", "invoice")


@admin.register(Journal)
class JournalAdmin(InvoiceNumberSearch, ViewOnlyAdmin):
    """The ledger is append-only: a correction is a new, reversing journal posted by an
    action, never an edit."""

    list_display = ["created_at", "kind", "contact", "invoice_number", "actor", "memo"]
    list_select_related = ["contact", "invoice", "actor"]
    list_filter = [indexed_values_filter("kind", "kind"), ("created_at", admin.DateFieldListFilter)]
    search_fields = [*_CONTACT_SEARCH, "kind", "memo"]
    inlines = [LedgerEntryInline]

    @admin.display(description="invoice", ordering="invoice")
    def invoice_number(self, journal: Journal) -> str:
        return _invoice_number(journal.invoice)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(InvoiceNumberSearch, ViewOnlyAdmin):
    """Append-only ledger rows (debits positive, credits negative)."""

    list_display = [
        "pk",
        "posted_at",
        "journal",
        "account",
        "amount",
        "contact",
        "invoice_number",
    ]
    list_select_related = ["journal", "contact", "invoice"]
    list_filter = [
        "account",
        AmountCurrencyFilter,
        ("journal__created_at", admin.DateFieldListFilter),
    ]
    search_fields = [*_CONTACT_SEARCH, "=journal__kind"]
    ordering = ["-pk"]

    @admin.display(ordering="journal__created_at")
    def posted_at(self, entry: LedgerEntry):
        return entry.journal.created_at

    @admin.display(description="invoice", ordering="invoice")
    def invoice_number(self, entry: LedgerEntry) -> str:
        return _invoice_number(entry.invoice)


@admin.register(SandboxCard)
class SandboxCardAdmin(ViewOnlyAdmin):
    """The sandbox gateway's cards; it writes them itself when a card is attached."""

    list_display = ["customer", "brand", "last4", "expiry", "behaviour"]
    list_filter = ["brand", "behaviour"]
    search_fields = ["=customer", "=last4"]

    @admin.display(ordering="exp_year")
    def expiry(self, card: SandboxCard) -> str:
        return f"{card.exp_month:02d}/{card.exp_year}"


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(ViewOnlyAdmin):
    """The sandbox gateway's record of each charge and refund, keyed like Stripe's."""

    list_display = ["created_at", "kind", "ref", "amount", "status", "decline_code", "charge_ref"]
    list_filter = ["kind", "status", CurrencyFilter, ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=ref", "=charge_ref", "=idempotency_key"]

    @admin.display(ordering="amount_minor")
    def amount(self, row: SandboxTransaction) -> Money:
        return money.from_minor_units(row.amount_minor, row.currency)
