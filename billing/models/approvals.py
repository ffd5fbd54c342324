from django.conf import settings
from django.db import models


class ApprovalRequest(models.Model):
    """A rep's refund, discount or re-pricing above their limit, or a write-off (which only
    managers make), waiting for a manager.

    It holds what the action needs to run later (`kind` names the action, `params` its checked
    parameters) and `preview`: the figures the action's own plan gave when the rep asked. A
    manager approving runs the action as themselves only if a fresh plan gives the same figures;
    otherwise the request is refused with what changed. `claimed_at` is the lease of the one
    approval carrying it out (billing.actions.approvals), so two managers approving at once run
    the action once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a manager"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        # Approved by a manager, but no longer possible as asked: the money moved meanwhile.
        REFUSED = "refused", "Refused at approval"

    class Kind(models.TextChoices):
        REFUND_PAYMENT = "refund_payment", "Refund"
        DISCOUNT_INVOICE = "discount_invoice", "Invoice discount"
        DISCOUNT_ORDER = "discount_order", "Order discount"
        CHANGE_ORDER_TERMS = "change_order_terms", "Order re-pricing"
        WRITE_OFF_INVOICE = "write_off_invoice", "Write-off"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="approval_requests"
    )
    payment = models.ForeignKey(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        "billing.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    params = models.JSONField(default=dict)
    preview = models.JSONField(default=dict)
    summary = models.CharField(max_length=300)
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The manager's note on approval, their reason for declining, or why it was refused.
    decision_note = models.TextField(blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("decide_approvals", "Can approve or decline requests above a rep's limit")]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["contact", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"Request {self.pk}: {self.summary} ({self.get_status_display()})"
