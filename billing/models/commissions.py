from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField


class Commission(models.Model):
    """What one partner earns (or gives back) on one invoice, at one tier.

    Rows are not edited to change an amount: what a partner is owed on an invoice is the sum of
    its non-cancelled rows, and `rerun_commissions` adds rows (or cancels pending ones) to move
    that sum to what is owed now. Money already approved or paid is taken back by a negative
    `clawback` row, so the payout history stays true.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        EARNED = "earned", "Earned"
        CLAWBACK = "clawback", "Clawback"
        ADJUSTMENT = "adjustment", "Adjustment"

    class Tier(models.IntegerChoices):
        DIRECT = 1, "Referring partner"
        SECOND = 2, "Second tier"

    partner = models.ForeignKey(
        "contacts.Partner", on_delete=models.PROTECT, related_name="commissions"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="commissions"
    )
    payment = models.ForeignKey(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    # The effective percent on `base` (a blend when lines carry different product rates).
    rate = models.DecimalField(max_digits=9, decimal_places=4)
    base = MoneyField(max_digits=19, decimal_places=3)
    amount = MoneyField(max_digits=19, decimal_places=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EARNED)
    reason = models.CharField(max_length=300, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=[1, 2]), name="commission_tier_1_or_2"),
            models.CheckConstraint(condition=~Q(amount=0), name="commission_amount_not_zero"),
            # A clawback takes money back; anything else adds to what is owed.
            models.CheckConstraint(
                condition=Q(kind="clawback", amount__lt=0)
                | (~Q(kind="clawback") & Q(amount__gt=0)),
                name="commission_sign_matches_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["invoice", "partner", "tier"]),
            models.Index(fields=["partner", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} for {self.partner}"
