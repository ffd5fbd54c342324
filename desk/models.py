from django.db import models


class LedgerMonth(models.Model):
    """One closed month of the ledger summed per account and currency, for the money report.

    Written once per month by `desk.tasks.roll_up_ledger_months` after the month has been over
    for a day (no action's transaction is still open then), and never changed: the ledger is
    append-only and a journal is dated when it is posted, so a closed month gets no new entry.
    Debits and credits are kept apart because some figures read one side only (credit granted).
    """

    month = models.DateField()
    account = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    debits = models.DecimalField(max_digits=19, decimal_places=3)
    credits = models.DecimalField(max_digits=19, decimal_places=3)
    rolled_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "account", "currency"], name="one_total_per_month_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.account} {self.currency}"
