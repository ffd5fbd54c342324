from django.db import models
from django.db.models import F, Q
from djmoney.models.fields import MoneyField


class Payment(models.Model):
    """One movement of money in: a gateway charge attempt, or money received outside.

    A charge is recorded `pending` with its idempotency key before the gateway is called, and
    left `unknown` when the call's outcome is lost; the reconcile task asks the gateway by key.
    `claimed_at` is the sender's lease: whoever sends the charge first sets it with a
    compare-and-set (billing.steps.charging.claim), so a row settled meanwhile is never sent and
    a stalled sender's row is sent again, under the same key, only once its lease has run out.
    `not_sent`: the charge was never sent and no longer should be (its invoice was settled
    otherwise meanwhile); unlike `failed` it is no decline, and tells the customer nothing.
    `amount_refunded` counts pending and succeeded refunds; it is only changed under this row's
    lock and a check constraint keeps it within the amount captured.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Declined"
        UNKNOWN = "unknown", "Outcome unknown"
        NOT_SENT = "not_sent", "Not sent"

    class Method(models.TextChoices):
        CARD = "card", "Card"
        CASH = "cash", "Cash"
        CHECK = "check", "Check"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        OTHER_SYSTEM = "other_system", "Other payment system"
        EVENT = "event", "Event"

    # Indexed by (contact, -created_at, -id) below only.
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="payments"
    )
    amount = MoneyField(max_digits=19, decimal_places=3)
    amount_refunded = MoneyField(max_digits=19, decimal_places=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    method = models.CharField(max_length=14, choices=Method.choices)
    payment_method = models.ForeignKey(
        "billing.PaymentMethod", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    gateway = models.CharField(max_length=20, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    gateway_ref = models.CharField(max_length=255, blank=True)
    decline_code = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=300, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount")) & Q(amount_refunded__gte=0),
                name="payment_refunded_within_amount",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # The contact record's payments panel: one contact's newest first.
            models.Index(fields=["contact", "-created_at", "-id"]),
            # The manager's history of declined charges, newest first (desk.manager.declines).
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(status="failed"),
                name="payment_declined_time_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} ({self.get_status_display()})"

    @property
    def refundable(self):
        return self.amount - self.amount_refunded


class Refund(models.Model):
    """Money back against one payment. `claimed_at` is the sender's lease, as on Payment.

    `overpayment`: the refund returns money captured beyond what the invoice asked (a capture
    that arrived for a charge already settled otherwise); it undoes the receivable credit of
    that capture instead of refunding revenue.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Outcome unknown"

    class Settle(models.TextChoices):
        GATEWAY = "gateway", "Through the gateway"
        OUTSIDE = "outside", "Paid back outside"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = MoneyField(max_digits=19, decimal_places=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    settle = models.CharField(max_length=8, choices=Settle.choices)
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    gateway_ref = models.CharField(max_length=255, blank=True)
    message = models.CharField(max_length=300, blank=True)
    reason = models.TextField()
    # Paid out of the contact's credit balance (refund_credit), not out of the payment's
    # invoice: a failed one gives the credit back.
    from_credit = models.BooleanField(default=False)
    overpayment = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} ({self.get_status_display()})"
