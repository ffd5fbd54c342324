"""What cancelling an order does to the money: one plan that the cancel preview shows and
`cancel_order` carries out, so the screen can never promise what the action does not do.

The unused part of the current period is worth its share of what that period was billed at
(`Order.period_price`: the trial price during a trial, nothing for a free one), never of the
order's price. It goes back to the payments that paid for the period (the period's invoice and
any proration invoice since it began), newest first, each at most what is left to refund on it,
and then to the contact's credit for what credit paid. Bounded by the period's own price, a
refund for one line never takes another line's money on the same invoice.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from djmoney.money import Money

from billing.models import Invoice, Order, Payment
from billing.selectors import credit_applied
from core import clock, money


@dataclass(frozen=True)
class CancelPlan:
    at: str
    ends_on: dt.date | None
    unused: Money
    days_left: int = 0
    days: int = 0
    refunds: list[tuple[Payment, Money]] = field(default_factory=list)
    to_credit: Money | None = None

    @property
    def refunded(self) -> Money:
        return money.sum_money((amount for _, amount in self.refunds), str(self.unused.currency))


def period_invoices(order: Order) -> list[Invoice]:
    """The invoices that paid for the order's current period, oldest first."""
    # The sale's invoice bills the trial, or the first period of an order sold without one.
    own = Q(order=order, period=order.periods_billed - 1)
    if order.periods_billed == 0 or not Invoice.objects.filter(own).exists():
        own = Q(pk=order.source_invoice_id)
    prorations = Q(order=order, period=None)
    if order.current_period_start:
        prorations &= Q(issued_at__date__gte=order.current_period_start)
    return list(Invoice.objects.filter(own | prorations).order_by("pk"))


def plan_cancel(
    order: Order, *, at: str, refund_unused: bool, on: dt.date | None = None
) -> CancelPlan:
    on = on or clock.today()
    zero = money.zero(order.currency)
    if at == "end_of_term":
        ends = order.current_period_end or order.next_charge_on or on
        return CancelPlan(at, ends, zero)
    start, end = order.current_period_start, order.current_period_end
    if not refund_unused or not start or not end or not (start <= on < end):
        return CancelPlan(at, on, zero)
    days, left = (end - start).days, (end - on).days
    unused = money.prorate(order.period_price, left, days)
    rest, refunds, by_credit = unused, [], zero
    invoices = period_invoices(order)
    paid = Payment.objects.filter(invoice__in=invoices, status=Payment.Status.SUCCEEDED)
    for payment in paid.order_by("-pk"):
        piece = min(rest, payment.refundable)
        if piece.amount > 0:
            refunds.append((payment, piece))
            rest -= piece
    for invoice in invoices:
        by_credit += credit_applied(invoice)
    to_credit = min(rest, by_credit)
    return CancelPlan(at, on, unused, left, days, refunds, to_credit)
