from django.db import models
from django.urls import reverse
from djmoney.models.fields import MoneyField


class Invoice(models.Model):
    """What one sale or one order period asks the contact to pay.

    Amount due is not stored: it is the invoice's receivable balance in the ledger
    (billing.selectors), so it cannot drift from the journals that moved it.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        VOID = "void", "Void"
        WRITTEN_OFF = "written_off", "Written off"

    class Source(models.TextChoices):
        PHONE = "phone", "Phone"
        EVENT = "event", "Event"
        OTHER_SYSTEM = "other_system", "Other payment system"
        ORDER = "order", "Open order"
        REPLACEMENT = "replacement", "Replacement"

    # Indexed by (contact, -issued_at, -id) below only.
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="invoices", db_index=False
    )
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.PHONE)
    event_name = models.CharField(max_length=200, blank=True)
    issued_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    order = models.ForeignKey(
        "billing.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    period = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["contact", "-issued_at", "-id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "period"],
                condition=models.Q(period__isnull=False),
                name="one_invoice_per_order_period",
            )
        ]
        permissions = [
            ("sell", "Charge or record a sale"),
            ("discount", "Discount an invoice or order"),
            ("mark_paid", "Mark an invoice paid"),
            ("retry_charge", "Charge an invoice again"),
            ("refund", "Refund a payment"),
            ("void", "Void an invoice"),
            ("write_off", "Write off an invoice or reverse a write-off"),
            ("ask_write_off", "Ask a manager to write off an invoice"),
            ("replace_invoice", "Replace a voided invoice"),
            ("send_invoice", "Send an invoice"),
            ("manage_cards", "Add or change cards on file"),
            ("change_orders", "Change, pause, reschedule or cancel open orders"),
            ("exceed_rep_limits", "Refund or discount above the rep limits"),
            ("rerun_commissions", "Re-run referral commissions"),
            ("manage_commissions", "Approve and pay commissions"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return self.number_of(self.pk)

    @staticmethod
    def number_of(pk: int) -> str:
        """The number of invoice `pk`, for rows that carry only its id."""
        return f"INV-{pk:06d}"

    def get_absolute_url(self) -> str:
        return reverse("billing:invoice-document", args=[self.pk])


class InvoiceLine(models.Model):
    """One line of an invoice. Discount and credit lines carry negative amounts."""

    class Kind(models.TextChoices):
        ITEM = "item", "Item"
        DISCOUNT = "discount", "Discount"
        PRORATION = "proration", "Proration"
        CREDIT = "credit", "Credit"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ITEM)
    product = models.ForeignKey(
        "offers.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The stored offer (the version) this line was sold from, and an order's later periods
    # and prorations from the order's; null for lines typed into the grid. Managers filter the
    # history by it, so it is indexed.
    offer = models.ForeignKey(
        "offers.Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = MoneyField(max_digits=19, decimal_places=3)
    amount = MoneyField(max_digits=19, decimal_places=3)
    terms = models.JSONField(default=dict, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"
