from django.db import models
from djmoney.models.fields import MoneyField


class Order(models.Model):
    """An open order: the future charges of one sold subscription or payment-plan line.

    Period n is charged on `anchor_on + (n - anchor_period) intervals` (billing.schedule), so a
    month-end anchor keeps its day (Jan 31, Feb 28/29, Mar 31) and moving the anchor moves all
    later charges. `periods_billed` is the next period to bill; its charge is keyed
    `order:<id>:period:<n>` so no period is ever charged twice.
    """

    class Status(models.TextChoices):
        TRIALING = "trialing", "Trialing"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", "Subscription"
        PAYMENT_PLAN = "payment_plan", "Payment plan"

    class CollectionMethod(models.TextChoices):
        """How later periods are paid (Stripe's `collection_method`)."""

        CHARGE_AUTOMATICALLY = "charge_automatically", "Charge the card on file"
        SEND_INVOICE = "send_invoice", "Email an invoice to pay"

    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="orders")
    product = models.ForeignKey("offers.Product", on_delete=models.PROTECT, related_name="+")
    # The stored offer its line was sold from, if any: each period's invoice line carries it.
    offer = models.ForeignKey(
        "offers.Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    currency = models.CharField(max_length=3)
    terms = models.JSONField(default=dict)
    unit_price = MoneyField(max_digits=19, decimal_places=3)
    # The unit price it was sold at: a rep's re-pricing and order discounts are measured
    # against it, so lowering the price in steps cannot pass the rep limit.
    sold_unit_price = MoneyField(max_digits=19, decimal_places=3)
    quantity = models.PositiveIntegerField(default=1)
    # Payment plans: the exact installment amounts in minor units, allocated at sale.
    installments = models.JSONField(default=list, blank=True)
    collection_method = models.CharField(
        max_length=20,
        choices=CollectionMethod.choices,
        default=CollectionMethod.CHARGE_AUTOMATICALLY,
    )
    payment_method = models.ForeignKey(
        "billing.PaymentMethod", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    anchor_on = models.DateField()
    anchor_period = models.PositiveIntegerField(default=0)
    periods_billed = models.PositiveIntegerField(default=0)
    next_charge_on = models.DateField(null=True, blank=True, db_index=True)
    current_period_start = models.DateField(null=True, blank=True)
    current_period_end = models.DateField(null=True, blank=True)
    pause_until = models.DateField(null=True, blank=True)
    cancel_at = models.DateField(null=True, blank=True)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    discount_amount = MoneyField(max_digits=19, decimal_places=3, null=True, blank=True)
    discount_charges = models.PositiveIntegerField(default=0)
    # What the current period was billed at, after its discount: the trial price (or nothing)
    # during a trial. The unused part of a period is worth its share of this, never of the
    # order's price, which may have changed since or never have been charged.
    period_price = MoneyField(max_digits=19, decimal_places=3)
    source_invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dunning_policy_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_charge_on"])]

    def __str__(self) -> str:
        return f"Order #{self.pk} {self.product} ({self.get_status_display()})"

    @property
    def remaining_installments(self) -> int:
        if self.kind != self.Kind.PAYMENT_PLAN:
            return 0
        return max(len(self.installments) - max(self.periods_billed - 1, 0), 0)


class OrderChange(models.Model):
    """A versioned change to an order's terms or schedule: old and new, who, why, when."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=20)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    effective_on = models.DateField()
    prorate = models.BooleanField(default=False)
    actor = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} on order {self.order_id}"
