"""What the random-sequence machines expect of credit and invoice totals, kept apart from the
ledger: the credit each action's own plan promised, checked against the ledger after each step."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet, Sum
from djmoney.money import Money

from billing.actions import plan_cancel, preview_proration
from billing.models import Account, Invoice, LedgerEntry, Order, Refund
from billing.selectors import with_amounts


class CreditBook:
    def __init__(self) -> None:
        self.granted: dict[tuple[int, str], Decimal] = defaultdict(Decimal)

    def downgrade_credit(self, order: Order, price: Money) -> Money:
        """The net credit a prorated re-price now would grant (the action's own preview)."""
        net = sum(
            (line.amount for line in preview_proration(order, unit_price=price)),
            Money(0, order.currency),
        )
        return -net if net.amount < 0 else Money(0, order.currency)

    def cancel_credit(self, order: Order) -> Money:
        plan = plan_cancel(order, at="now", refund_unused=True)
        return plan.to_credit or Money(0, order.currency)

    def grant(self, contact_id: int, amount: Money) -> None:
        self.granted[(contact_id, str(amount.currency))] += amount.amount

    def breaches(self, contact_ids: list[int]) -> list[str]:
        """Per contact and currency, read grouped: the machines check after every step, and
        three aggregates per pair made these checks most of the suite's longest test."""
        found = []
        entries = LedgerEntry.objects.filter(account=Account.CREDIT, contact_id__in=contact_ids)
        balance = _sums(entries, "contact_id", negate=True)
        applied = _sums(entries.exclude(invoice=None), "contact_id")
        paid_out = _sums(
            Refund.objects.filter(from_credit=True, payment__contact_id__in=contact_ids).exclude(
                status=Refund.Status.FAILED
            ),
            "payment__contact_id",
        )
        for contact_id in contact_ids:
            for currency in ("USD", "JPY", "KWD", "EUR"):
                key = (contact_id, currency)
                expected = self.granted[key] - applied[key] - paid_out[key]
                if balance[key] != expected:
                    found.append(
                        f"contact {contact_id}: credit {balance[key]} {currency} in the ledger, "
                        f"{expected} granted by the plans less spent and refunded"
                    )
                if balance[key] < 0:
                    found.append(
                        f"contact {contact_id}: credit {balance[key]} {currency} below zero"
                    )
        below = with_amounts(Invoice.objects.filter(contact_id__in=contact_ids))
        for invoice in below.filter(total_amount__lt=0) | below.filter(due_amount__lt=0):
            found.append(
                f"invoice {invoice.pk} totals {invoice.total_amount}, due {invoice.due_amount}"
            )
        return found


def _sums(rows: QuerySet, contact: str, negate: bool = False) -> dict[tuple[int, str], Decimal]:
    sums: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for contact_id, currency, total in (
        rows.values_list(contact, "amount_currency").annotate(s=Sum("amount")).order_by()
    ):
        sums[(contact_id, currency)] = -total if negate else total
    return sums
