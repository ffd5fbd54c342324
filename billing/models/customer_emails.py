from django.db import models


class CustomerEmail(models.Model):
    """One email to the customer about one thing that happened to their money: a receipt for a
    payment, the confirmation of a refund, the cancellation of an order. Written in the
    transaction that sends it; the unique (kind, subject) makes a repeated task send nothing."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        REFUND = "refund", "Refund confirmation"
        CANCELLATION = "cancellation", "Cancellation"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The payment, refund or order the email is about, by kind.
    subject_id = models.BigIntegerField()
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="+")
    sent_to = models.EmailField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject_id"], name="one_customer_email_each")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.sent_to}"
