from django.db import models
from django.db.models import Q


class AccessGrant(models.Model):
    """Membership access to a product that one payment bought.

    One row per (payment, product), so a repeated task cannot grant twice. Access is live while
    `starts_at <= now < ends_at` (no end: lifetime) and `revoked_at` is empty. A revocation
    (refund, void) sets `revoked_at`; an ended order moves `ends_at` instead, because the
    customer keeps the term they paid for.
    """

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="access_grants"
    )
    product = models.ForeignKey("offers.Product", on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, related_name="access_grants"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "product"], name="one_grant_per_payment"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                name="grant_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["contact", "product"])]

    def __str__(self) -> str:
        return f"{self.product} for {self.contact}"


class Delivery(models.Model):
    """A delivery email sent for one product of one payment. The row is written in the same
    transaction that sends, and the unique constraint makes a second sender give up."""

    payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, related_name="deliveries"
    )
    product = models.ForeignKey("offers.Product", on_delete=models.PROTECT, related_name="+")
    sent_to = models.EmailField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["payment", "product"], name="one_delivery_per_payment")
        ]

    def __str__(self) -> str:
        return f"{self.product} to {self.sent_to}"
