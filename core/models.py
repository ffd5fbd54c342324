import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from djmoney.models.fields import MoneyField


class AuditEvent(models.Model):
    """Who did what to which record, why, and what it looked like before and after.

    Written in the same database transaction as the change it describes, so a change without its
    event (or an event without its change) cannot exist. Rows are never updated or deleted.
    `contact_id` is a plain column rather than a foreign key because core sits below contacts.
    """

    # created_at, actor, contact_id and subject_type have no index of their own: each leads one
    # of the indexes below, which serves every lookup a one-column index would. Every change
    # writes an event, and each index is one more entry to write (issue 13). action keeps its
    # own: its pattern index serves the audit browser's prefix filter ("billing.").
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    action = models.CharField(max_length=64, db_index=True)
    reason = models.TextField(blank=True)
    contact_id = models.BigIntegerField(null=True, blank=True)
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    subject_id = models.BigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    amount = MoneyField(max_digits=19, decimal_places=3, null=True, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The contact record's history pages on (created_at, id), newest first.
            models.Index(fields=["contact_id", "-created_at", "-id"]),
            models.Index(fields=["subject_type", "subject_id"]),
            # The audit browser's keyset pages, whole or narrowed to an actor or an action.
            models.Index(fields=["-created_at", "-id"], name="audit_time_id"),
            models.Index(fields=["actor", "-created_at", "-id"], name="audit_actor_time_id"),
            models.Index(fields=["action", "-created_at", "-id"], name="audit_action_time_id"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor or 'system'} at {self.created_at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """The first result of an action called with a client-chosen key.

    The unique key makes a double click or a retried request return the first result; the
    fingerprint of the parameters makes the same key with other parameters an error
    (Stripe's idempotency_error, TigerBeetle's exists_with_different_*). The result is empty
    only between the claim and its fill, which happen in one transaction (core.idempotency),
    so a committed row always names its result.
    """

    key = models.CharField(max_length=255, unique=True)
    action = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    result_type = models.ForeignKey(
        ContentType, null=True, on_delete=models.PROTECT, related_name="+"
    )
    result_id = models.BigIntegerField(null=True)
    result = GenericForeignKey("result_type", "result_id")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class ClockOffset(models.Model):
    """The demo test clock's offset from real time (one row); see core.clock."""

    seconds = models.BigIntegerField(default=0)

    @classmethod
    def current(cls) -> dt.timedelta:
        row = cls.objects.order_by("pk").first()
        return dt.timedelta(seconds=row.seconds if row else 0)


class Export(models.Model):
    """A CSV export too large to stream in one request, written to a file by a task.

    `exporter` names a registered core.exports.Exporter and `params` holds the filter the
    manager had on screen (a query string's lists), so the task rebuilds exactly that view.
    `rows_total` is the planner's estimate taken at the start; `rows_done` is exact.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    exporter = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.BigIntegerField(default=0)
    rows_done = models.BigIntegerField(default=0)
    filename = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("see_manager_pages", "Open the manager's pages: history, audit, reports, exports")
        ]

    def __str__(self) -> str:
        return f"{self.exporter} export #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        # The total is an estimate: never claim to be finished before the task says so.
        return min(99, self.rows_done * 100 // self.rows_total)
