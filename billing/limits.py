"""A rep's limits bound outcomes, not single calls.

Each rule judges what an action would leave behind, so splitting one refund or discount into
several calls, or typing a lower price instead of a discount, gains nothing:

- refunds: the total refunded on one payment by people without the manager permission;
- discounts: the total discount on an invoice, on a sale line (its discount and a price typed
  below the stored price count together) and on an order's next charge against the price it
  was sold at (re-pricing and order discounts count together).

A stored price is one a manager set: the product's, or a line of an active stored offer (net of
its discount, per unit), so an offer sells as stored and the rep's allowance starts from there.

Actions call these after locking the rows they will change and before writing anything, so two
concurrent calls are judged one after the other. Managers (`billing.exceed_rep_limits`) are not
bound; approving more is their job. A refused rep is told what is left within the allowance.
"""

from decimal import ROUND_FLOOR, Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Sum
from djmoney.money import Money

from billing import errors
from billing.models import Invoice, InvoiceLine, Order, Payment, Refund
from billing.steps.periods import period_amount
from core import money
from offers.lines import SaleLine
from offers.models import OfferLine, Product

MANAGER_PERM = "billing.exceed_rep_limits"

REFUND_LEFT = "You can refund up to {left} more on this payment; a manager can do more."
INVOICE_DISCOUNT_LEFT = (
    "You can discount up to {left} more on this invoice ({limit}% of it in all); "
    "a manager can do more."
)
LINE_DISCOUNT_LEFT = (
    "You can take up to {left} off this line ({limit}% of {reference}, price and discount "
    "together); a manager can do more."
)
ORDER_DISCOUNT_LEFT = (
    "You can take up to {left} off each charge of this order ({limit}% of {reference}, price "
    "and discount together); a manager can do more."
)


def bound(actor: User | None) -> bool:
    """Whether the rep limits apply to `actor` (automation acts as a manager)."""
    return actor is not None and not actor.has_perm(MANAGER_PERM)


def require_refund_within_limit(actor: User, payment: Payment, amount: Money) -> None:
    """Refunds on `payment` by people without the manager permission, with `amount`, stay
    within the rep refund limit. Call with the payment locked."""
    if not bound(actor):
        return
    currency = str(payment.amount.currency)
    configured = settings.PAYDESK_REP_MAX_REFUND.get(currency)
    # A currency with no configured limit has no rep allowance: a manager decides.
    limit = Money(Decimal(configured) if configured is not None else 0, currency)
    used = _refunded_by_reps(payment)
    if used + amount > limit:
        left = max(limit - used, money.zero(currency))
        raise errors.AboveRepLimit(REFUND_LEFT.format(left=_shown(left)), field="amount")


def _refunded_by_reps(payment: Payment) -> Money:
    """What people without the manager permission have refunded or are refunding."""
    by_actor = (
        payment.refunds.exclude(status=Refund.Status.FAILED)
        .exclude(actor=None)
        .values_list("actor")
        .annotate(total=Sum("amount"))
    )
    totals = dict(by_actor)
    reps = [u.pk for u in User.objects.filter(pk__in=totals) if bound(u)]
    return Money(sum((totals[pk] for pk in reps), Decimal(0)), payment.amount.currency)


def require_invoice_discount_within_limit(
    actor: User, invoice: Invoice, off: Money, *, field: str = "amount"
) -> None:
    """All discounts on `invoice`, with `off`, stay within the rep discount percent of what
    its other lines add up to. Call with the invoice locked."""
    if not bound(actor):
        return
    gross, given = Decimal(0), Decimal(0)
    for kind, amount in invoice.lines.values_list("kind", "amount"):
        if kind == InvoiceLine.Kind.DISCOUNT:
            given -= amount
        else:
            gross += amount
    _within(
        Money(gross, invoice.currency),
        Money(given, invoice.currency),
        off,
        lambda left, limit: INVOICE_DISCOUNT_LEFT.format(left=left, limit=limit),
        field=field,
    )


def require_sale_within_limit(actor: User, lines: list[SaleLine]) -> None:
    """Each sale line's discount and any price typed below the lowest stored price stay
    together within the rep discount percent of that stored price.

    A line in a currency with no stored price for its product has nothing to compare its
    price with, so only its own discount counts there."""
    if not bound(actor):
        return
    for line in lines:
        stored = _stored_unit_price(line.product, str(line.price.currency))
        reference = stored * line.quantity if stored is not None else line.subtotal
        _within(
            reference,
            money.zero(str(reference.currency)),
            reference - line.total,
            lambda left, limit, reference=reference: LINE_DISCOUNT_LEFT.format(
                left=left, limit=limit, reference=_shown(reference)
            ),
            field="discount" if line.discount else "unit_price",
        )


def _stored_unit_price(product: Product, currency: str) -> Money | None:
    """The lowest unit price a manager stored for `product` in `currency`, if any."""
    prices = [product.price.amount] if str(product.price.currency) == currency else []
    offered = OfferLine.objects.filter(
        product=product, offer__archived=False, unit_price_currency=currency
    ).values_list("unit_price", "quantity", "discount")
    prices += [(price * quantity - (off or 0)) / quantity for price, quantity, off in offered]
    return Money(min(prices), currency) if prices else None


def require_order_within_limit(
    actor: User,
    order: Order,
    *,
    unit_price: Money,
    quantity: int,
    percent: Decimal | None,
    amount: Money | None,
    field: str,
) -> None:
    """An order's next charge (at `unit_price` x `quantity`, less a percent or amount off)
    stays within the rep discount percent of the price it was sold at, or of its next
    installment for a payment plan (whose amounts are fixed). Call with the order locked."""
    if not bound(actor):
        return
    if order.kind == Order.Kind.PAYMENT_PLAN:
        reference = price = period_amount(order, order.periods_billed)
    else:
        reference, price = order.sold_unit_price * quantity, unit_price * quantity
    if percent is not None:
        price -= money.percent_of(price, percent)
    elif amount is not None:
        price -= min(amount, price)
    _within(
        reference,
        money.zero(order.currency),
        reference - price,
        lambda left, limit: ORDER_DISCOUNT_LEFT.format(
            left=left, limit=limit, reference=_shown(reference)
        ),
        field=field,
    )


def _within(reference: Money, given: Money, adding: Money, message, *, field: str) -> None:
    """Refuse when `given` + `adding` is more than the rep discount percent of `reference`."""
    limit = Decimal(settings.PAYDESK_REP_MAX_DISCOUNT_PERCENT)
    # Compared exactly: a rounded allowance would let a cent through on some amounts.
    if (given + adding).amount * 100 <= reference.amount * limit:
        return
    step = Decimal(1).scaleb(-money.exponent(str(reference.currency)))
    allowed = (reference.amount * limit / 100).quantize(step, rounding=ROUND_FLOOR)
    left = Money(max(allowed - given.amount, Decimal(0)), reference.currency)
    raise errors.AboveRepLimit(message(_shown(left), limit), field=field)


def _shown(amount: Money) -> str:
    code = amount.currency.code
    # A stored price per unit of an offer line can carry more decimals than the currency.
    shown = amount.amount.quantize(Decimal(1).scaleb(-money.exponent(code)))
    return f"{code} {shown.copy_abs() if shown.is_zero() else shown:,}"
