from django.core.validators import MinValueValidator
from django.db import models
from djmoney.models.fields import MoneyField


class DunningPolicy(models.Model):
    """How a declined order charge is chased: when to retry, what to tell the customer, and
    what to do when the retries run out.

    Retries happen on explicit days after the first failure (`days`) or every
    `interval_days` up to `window_days` (default 3 and 90: days 3, 6, ..., 90), capped at
    `max_attempts`. A hard decline marks the card unusable (billing), so no retry charges it
    again; the case keeps its days, waiting for another card, and takes the final action after
    the last one.
    """

    class FinalAction(models.TextChoices):
        WRITE_OFF = "write_off", "Write off the invoice"
        PAUSE = "pause", "Pause the order"
        CANCEL = "cancel", "Cancel the order"
        LEAVE = "leave", "Leave it unpaid"

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    interval_days = models.PositiveIntegerField(default=3, validators=[MinValueValidator(1)])
    window_days = models.PositiveIntegerField(default=90, validators=[MinValueValidator(1)])
    days = models.JSONField(
        default=list, blank=True, help_text="Explicit retry days after the failure, e.g. [1, 3, 7]"
    )
    max_attempts = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    try_other_cards = models.BooleanField(default=False)
    retry_on_card_update = models.BooleanField(default=True)
    final_action = models.CharField(
        max_length=10, choices=FinalAction.choices, default=FinalAction.WRITE_OFF
    )

    class Meta:
        verbose_name_plural = "dunning policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_policy",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def attempt_days(self) -> list[int]:
        days = sorted({int(d) for d in self.days if int(d) > 0}) or list(
            range(self.interval_days, self.window_days + 1, self.interval_days)
        )
        return days[: self.max_attempts]


class NoticeTemplate(models.Model):
    """An email sent to the customer at a point of a case: templates use Django syntax with
    `contact`, `invoice`, `amount_due` (what is owed), `next_step` (what happens next, or what the
    customer should do), `next_attempt_on` and `attempt` in the context."""

    class Kind(models.TextChoices):
        FIRST = "first", "First failure"
        FURTHER = "further", "Each further failure"
        FINAL = "final", "Final notice"

    policy = models.ForeignKey(DunningPolicy, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "kind"], name="one_notice_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_kind_display()}"


class DunningCase(models.Model):
    """The collection of one unpaid order invoice, from its first declined charge until it is
    paid (recovered), runs out of retries (exhausted) or a person or event ends it (stopped)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        RECOVERED = "recovered", "Recovered"
        EXHAUSTED = "exhausted", "Exhausted"
        STOPPED = "stopped", "Stopped"

    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, related_name="dunning_case"
    )
    order = models.ForeignKey("billing.Order", on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(DunningPolicy, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    amount = MoneyField(max_digits=19, decimal_places=3)
    failed_at = models.DateTimeField()
    attempts_made = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    last_decline_code = models.CharField(max_length=64, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["next_attempt_at", "pk"]
        permissions = [("work_collections", "Retry, pause and stop collection")]

    def __str__(self) -> str:
        return f"Collection of invoice {self.invoice_id} ({self.get_status_display()})"


class DunningAttempt(models.Model):
    """One scheduled retry of a case (number n), and each card charged in it."""

    case = models.ForeignKey(DunningCase, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    card = models.ForeignKey(
        "billing.PaymentMethod", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.ForeignKey(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, default="pending")
    decline_code = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["case", "number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number", "card"], name="one_charge_per_card")
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} of case {self.case_id}: {self.outcome}"


class NoticeSent(models.Model):
    """A notice emailed for a case; the unique key keeps a rerun from sending it twice."""

    case = models.ForeignKey(DunningCase, on_delete=models.PROTECT, related_name="notices_sent")
    kind = models.CharField(max_length=8)
    attempt = models.PositiveIntegerField(default=0)
    to = models.EmailField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "attempt"], name="notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} notice for case {self.case_id}"
