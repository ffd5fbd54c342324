from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField


class Dispute(models.Model):
    """A chargeback the gateway reported on one of our payments: the case a rep and the managers
    follow, and the record of what its money movements have already posted.

    The gateway's own balance transactions drive the ledger: the funds withdrawn (amount and
    fee) when the dispute opens, the funds reinstated if it is won. Each is posted once, keyed
    by the balance transaction's id in `withdrawal_ref` / `reinstatement_ref`, so an event seen
    twice or late posts nothing again. `gateway_ref` (the dispute's id) is unique: one case per
    dispute, however many events describe it.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        # An inquiry (Stripe's warning_*) that closed without becoming a chargeback.
        CLOSED = "closed", "Closed"

    payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, related_name="disputes"
    )
    gateway_ref = models.CharField(max_length=255, unique=True)
    amount = MoneyField(max_digits=19, decimal_places=3)
    fee = MoneyField(max_digits=19, decimal_places=3)
    reason = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    gateway_status = models.CharField(max_length=32)
    evidence_due_by = models.DateTimeField(null=True, blank=True)
    withdrawal_ref = models.CharField(max_length=255, blank=True)
    reinstatement_ref = models.CharField(max_length=255, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dispute_amount_positive"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="dispute_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Dispute {self.amount} ({self.get_status_display()})"

    @property
    def reason_label(self) -> str:
        return self.reason.replace("_", " ")
