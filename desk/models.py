from django.conf import settings
from django.db import models


class RolledMonth(models.Model):
    """A month of the ledger whose totals are in LedgerMonth. Its unique month is the claim: a
    second runner summing the same month fails to insert it and gives way.

    `through` is set while the month is in progress: its totals then hold the journals dated
    before that moment only (a day before the roll-up ran, when no transaction dated earlier
    is still open), and are summed again, further, by each run until the month closes.
    """

    month = models.DateField(unique=True)
    rolled_at = models.DateTimeField()
    through = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class LedgerMonth(models.Model):
    """One month of the ledger summed per account, currency and actor, for the reports.

    Written once, with its RolledMonth, by `desk.tasks.roll_up_ledger_months` after the month has
    been over for a day (no action's transaction is still open then), and never changed: the
    ledger is append-only and a journal is dated when it is posted, so a closed month gets no
    new entry. The month in progress is summed up to a day ago and summed again by each run
    (RolledMonth.through). Debits and credits are kept apart because some figures read one side
    only.
    """

    month = models.DateField()
    account = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    debits = models.DecimalField(max_digits=19, decimal_places=3)
    credits = models.DecimalField(max_digits=19, decimal_places=3)

    class Meta:
        indexes = [models.Index(fields=["month", "account"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.account} {self.currency}"
