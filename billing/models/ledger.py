from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField


class Account(models.TextChoices):
    RECEIVABLE = "receivable", "Accounts receivable"
    REVENUE = "revenue", "Revenue"
    DISCOUNTS = "discounts", "Discounts"
    REFUNDS = "refunds", "Refunds"
    CASH = "cash", "Gateway clearing"
    EXTERNAL = "external", "External payments"
    BAD_DEBT = "bad_debt", "Bad debt"
    COMMISSION_EXPENSE = "commission_expense", "Commission expense"
    COMMISSION_PAYABLE = "commission_payable", "Commissions payable"
    # What Paydesk owes a contact (Stripe's customer balance): per contact and currency, a
    # liability, so its balance is zero or negative (a credit) and never a debit.
    CREDIT = "credit", "Customer credit"
    # Disputes (chargebacks): money the gateway withdrew while a dispute is open, the gateway's
    # dispute fees, and disputed money lost for good.
    DISPUTED = "disputed", "Funds held in disputes"
    DISPUTE_FEES = "dispute_fees", "Dispute fees"
    CHARGEBACKS = "chargebacks", "Disputes lost"


class Journal(models.Model):
    """One money action's postings. Append-only: a correction is a new, reversing journal.

    Only billing.ledger.post creates journals; it refuses entries that do not sum to zero per
    currency, and a PostgreSQL constraint trigger checks the same at commit.
    """

    # kind, created_at, contact and actor have no index of their own: each leads one of the
    # indexes below, which serves every lookup a one-column index would. Every money action
    # writes journals, and each index is one more entry to write (issue 13).
    kind = models.CharField(max_length=40)
    memo = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="journals"
    )
    actor = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The manager's history pages on (created_at, id), whole or narrowed to one column.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="journal_time_id"),
            models.Index(fields=["kind", "-created_at", "-id"], name="journal_kind_time_id"),
            models.Index(fields=["actor", "-created_at", "-id"], name="journal_actor_time_id"),
            models.Index(fields=["contact", "-created_at", "-id"], name="journal_contact_time_id"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class LedgerEntry(models.Model):
    """A signed amount on one account: debits positive, credits negative. Never updated."""

    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries")
    account = models.CharField(max_length=20, choices=Account.choices)
    # contact and invoice are indexed only by the indexes below, which lead with them.
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    amount = MoneyField(max_digits=19, decimal_places=3)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["invoice", "account"]),
            # A contact's books (balance and credit per currency) summed from the index alone:
            # the contact record reads them on every page, over 19,000 entries at 10,000
            # invoices, and the heap pages behind them are four times the index's.
            models.Index(
                fields=["contact", "account", "amount_currency"],
                include=["amount"],
                name="entry_contact_books",
            ),
            # What each journal moved (its debits), read from the index alone by the manager's
            # history: a page's amounts, its totals, and an export's one row per journal.
            models.Index(
                fields=["journal"],
                include=["amount_currency", "amount"],
                condition=Q(amount__gt=0),
                name="entry_debits_by_journal",
            ),
        ]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.get_account_display()} {self.amount}"
