"""The actions a rep may ask a manager to approve when the rep's limit refuses them, and
write-offs, which no rep may make: a rep's limit on writing off is nothing.

Each is described once: the row it acts on and how to lock it, its plan (the figures the rep
is shown, from the action's own plan functions, refusing whatever the action would refuse),
the limit it would be above, how to run it, and the words for the request and its outcome.
A request stores the plan's figures as its preview; approval compares them with a fresh plan
(billing.actions.approvals), so what the manager approves is what the rep was shown.

Sales are not here: a sale charges a card and opens orders at once, on the phone with the
customer; holding it for a manager would mean charging later, off-session, on a manager's
click. A rep selling below their allowance asks a manager to make the sale instead.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Model
from djmoney.money import Money

from billing import errors, limits
from billing.actions.invoices import (
    discount_invoice,
    plan_invoice_discount,
    plan_write_off,
    write_off_invoice,
)
from billing.actions.orders import change_order_terms, discount_order, preview_proration
from billing.actions.refunds import plan_refund, refund_payment
from billing.models import ApprovalRequest, Invoice, Order, Payment, Refund
from billing.selectors import amount_due, invoice_total
from billing.steps import locks
from billing.steps.amounts import checked_amount
from billing.steps.order_changes import require_live
from billing.steps.periods import period_amount
from core import money

Figures = list[list[str]]  # [label, value] pairs in the order shown (JSON keeps lists in order)
Kind = ApprovalRequest.Kind


def shown(amount: Money) -> str:
    return money.format_money(amount)


def amount_param(amount: Money) -> str:
    """An amount as a request stores it: a decimal string with the currency's own places."""
    places = Decimal(1).scaleb(-money.exponent(amount.currency.code))
    return str(amount.amount.quantize(places))


def _money(params: dict, name: str, currency: str) -> Money | None:
    value = params.get(name)
    return None if value in (None, "") else Money(Decimal(value), currency)


def _percent(params: dict) -> Decimal | None:
    value = params.get("percent")
    return None if value in (None, "") else Decimal(value)


def _one_of(amount: Money | None, percent: Decimal | None) -> None:
    if (amount is None) == (percent is None):
        raise errors.InvalidRequest(errors.DISCOUNT_ONE_OF, field="amount")


@dataclass(frozen=True)
class Approvable:
    kind: str
    perm: str  # the billing permission the action itself asks of its actor
    field: str  # the request's foreign key to the row the action acts on
    lock: Callable[[Model], Model]
    plan: Callable[[Model, dict], Figures]
    limit: Callable[[User, Model, dict], None]
    run: Callable[..., Model]
    summary: Callable[[Model, dict], str]
    outcome: Callable[[Model], str]
    # Fills what the rep left to the action (a refund of "everything left") with what the plan
    # gives now, so approval later does exactly what the rep was shown.
    settle: Callable[[Model, dict], dict] = field(default=lambda subject, params: params)
    # The permission that lets a rep ask, when it is not the action's own (write-offs).
    ask_perm: str = ""

    @property
    def asking_perm(self) -> str:
        return self.ask_perm or self.perm


# Refunds ------------------------------------------------------------------------------------


def _lock_payment(payment: Payment) -> Payment:
    locks.lock_invoice(payment.invoice_id)
    return locks.lock_payment(payment.pk)


def _refund_amount(payment: Payment, params: dict) -> Money | None:
    return _money(params, "amount", str(payment.amount.currency))


def _refund_plan(payment: Payment, params: dict) -> Figures:
    returning = plan_refund(payment, _refund_amount(payment, params))
    return [
        ["Paid", shown(payment.amount)],
        ["Left to refund", shown(payment.refundable)],
        ["Refund", shown(returning)],
        ["Paid back", Refund.Settle(params["settle"]).label],
    ]


def _refund_settle(payment: Payment, params: dict) -> dict:
    returning = plan_refund(payment, _refund_amount(payment, params))
    return {**params, "amount": amount_param(returning)}


def _refund_outcome(refund: Refund) -> str:
    if refund.status == Refund.Status.FAILED:
        return f"The gateway refused the refund: {refund.message}"
    if refund.status != Refund.Status.SUCCEEDED:
        # A lost answer: reconcile_pending settles it under its key; the record shows how.
        return f"Refund of {shown(refund.amount)} sent; the gateway has not answered yet."
    return f"Refunded {shown(refund.amount)} (succeeded)."


REFUND = Approvable(
    kind=Kind.REFUND_PAYMENT,
    perm="refund",
    field="payment",
    lock=_lock_payment,
    plan=_refund_plan,
    settle=_refund_settle,
    limit=lambda actor, payment, params: limits.require_refund_within_limit(
        actor, payment, plan_refund(payment, _refund_amount(payment, params))
    ),
    run=lambda payment, params, **kw: refund_payment(
        payment, amount=_refund_amount(payment, params), settle=params["settle"], **kw
    ),
    summary=lambda payment, params: (
        f"Refund {shown(_refund_amount(payment, params))} on {payment.invoice.number}"
    ),
    outcome=_refund_outcome,
)


# Invoice discounts --------------------------------------------------------------------------


def _invoice_off(invoice: Invoice, params: dict) -> Money:
    amount, percent = _money(params, "amount", invoice.currency), _percent(params)
    _one_of(amount, percent)
    if amount is not None:
        amount = checked_amount(amount, invoice.currency)
    return plan_invoice_discount(invoice, amount=amount, percent=percent)


def _invoice_plan(invoice: Invoice, params: dict) -> Figures:
    off, due = _invoice_off(invoice, params), amount_due(invoice)
    return [
        ["Total", shown(invoice_total(invoice))],
        ["Due now", shown(due)],
        ["Discount", shown(off)],
        ["Due after", shown(due - off)],
    ]


def _invoice_summary(invoice: Invoice, params: dict) -> str:
    percent = _percent(params)
    off = (
        f"{percent}%" if percent is not None else shown(_money(params, "amount", invoice.currency))
    )
    return f"Discount {off} off {invoice.number}"


INVOICE_DISCOUNT = Approvable(
    kind=Kind.DISCOUNT_INVOICE,
    perm="discount",
    field="invoice",
    lock=lambda invoice: locks.lock_invoice(invoice.pk),
    plan=_invoice_plan,
    limit=lambda actor, invoice, params: limits.require_invoice_discount_within_limit(
        actor, invoice, _invoice_off(invoice, params)
    ),
    run=lambda invoice, params, **kw: discount_invoice(
        invoice,
        amount=_money(params, "amount", invoice.currency),
        percent=_percent(params),
        description=params["description"],
        **kw,
    ),
    summary=_invoice_summary,
    outcome=lambda line: f"Discount of {shown(-line.amount)} applied.",
)


# Order discounts and re-pricing -------------------------------------------------------------


def _order_charge(order: Order) -> Money:
    """The next charge before any discount: a plan's installment, or price times quantity."""
    if order.kind == Order.Kind.PAYMENT_PLAN:
        return period_amount(order, order.periods_billed)
    return order.unit_price * order.quantity


def _next_on(order: Order) -> str:
    return f"{order.next_charge_on:%-d %b %Y}" if order.next_charge_on else "none"


def _order_discount_inputs(order: Order, params: dict) -> tuple[Money | None, Decimal | None]:
    amount, percent = _money(params, "amount", order.currency), _percent(params)
    _one_of(amount, percent)
    require_live(order, "discount this order")
    if amount is not None:
        amount = checked_amount(amount, order.currency, subject="order")
    return amount, percent


def _order_discount_plan(order: Order, params: dict) -> Figures:
    amount, percent = _order_discount_inputs(order, params)
    charge = _order_charge(order)
    off = money.percent_of(charge, percent) if percent is not None else min(amount, charge)
    return [
        ["Each charge now", shown(charge)],
        ["Each discounted charge", shown(charge - off)],
        ["Charges discounted", str(params["charges"])],
        ["Next charge", _next_on(order)],
    ]


def _order_discount_limit(actor: User, order: Order, params: dict) -> None:
    amount, percent = _order_discount_inputs(order, params)
    limits.require_order_within_limit(
        actor,
        order,
        unit_price=order.unit_price,
        quantity=order.quantity,
        percent=percent,
        amount=amount,
        field="amount" if percent is None else "percent",
    )


def _order_discount_summary(order: Order, params: dict) -> str:
    percent = _percent(params)
    off = f"{percent}%" if percent is not None else shown(_money(params, "amount", order.currency))
    return f"Discount {off} off the next {params['charges']} charge(s) of order #{order.pk}"


ORDER_DISCOUNT = Approvable(
    kind=Kind.DISCOUNT_ORDER,
    perm="discount",
    field="order",
    lock=lambda order: locks.lock_order(order.pk),
    plan=_order_discount_plan,
    limit=_order_discount_limit,
    run=lambda order, params, **kw: discount_order(
        order,
        amount=_money(params, "amount", order.currency),
        percent=_percent(params),
        charges=params["charges"],
        **kw,
    ),
    summary=_order_discount_summary,
    outcome=lambda order: f"Discount set on order #{order.pk}.",
)


def _terms_inputs(order: Order, params: dict) -> tuple[Money | None, int | None]:
    unit_price, quantity = _money(params, "unit_price", order.currency), params.get("quantity")
    if unit_price is None and quantity is None:
        raise errors.InvalidRequest("Give a new price or quantity.", field="unit_price")
    require_live(order, "change this order")
    if order.kind != Order.Kind.SUBSCRIPTION:
        raise errors.InvalidRequest("A payment plan's amounts are fixed.", field="unit_price")
    if unit_price is not None:
        unit_price = checked_amount(unit_price, order.currency, subject="order")
    return unit_price, quantity


def _terms_plan(order: Order, params: dict) -> Figures:
    unit_price, quantity = _terms_inputs(order, params)
    new_price, new_quantity = unit_price or order.unit_price, quantity or order.quantity
    now = params["effective"] == "now"
    figures = [
        ["Price now", f"{shown(order.unit_price)} × {order.quantity}"],
        ["New price", f"{shown(new_price)} × {new_quantity}"],
        ["From", "now" if now else f"the next charge ({_next_on(order)})"],
    ]
    # The proration change_order_terms posts: its own lines, dated, so a day later differs.
    if now and params["prorate"]:
        lines = preview_proration(order, unit_price=unit_price, quantity=quantity)
        figures += [[line.description, shown(line.amount)] for line in lines]
    return figures


def _terms_limit(actor: User, order: Order, params: dict) -> None:
    unit_price, quantity = _terms_inputs(order, params)
    discounted = bool(order.discount_charges)
    limits.require_order_within_limit(
        actor,
        order,
        unit_price=unit_price or order.unit_price,
        quantity=quantity or order.quantity,
        percent=order.discount_percent if discounted else None,
        amount=order.discount_amount if discounted else None,
        field="unit_price",
    )


def _terms_summary(order: Order, params: dict) -> str:
    price = _money(params, "unit_price", order.currency) or order.unit_price
    quantity = params.get("quantity") or order.quantity
    return f"Re-price order #{order.pk} to {shown(price)} × {quantity}"


ORDER_TERMS = Approvable(
    kind=Kind.CHANGE_ORDER_TERMS,
    perm="change_orders",
    field="order",
    lock=lambda order: locks.lock_order(order.pk),
    plan=_terms_plan,
    limit=_terms_limit,
    run=lambda order, params, **kw: change_order_terms(
        order,
        unit_price=_money(params, "unit_price", order.currency),
        quantity=params.get("quantity"),
        effective=params["effective"],
        prorate=params["prorate"],
        **kw,
    ),
    summary=_terms_summary,
    outcome=lambda order: (
        f"Order #{order.pk} now bills {shown(order.unit_price)} × {order.quantity}."
    ),
)

# Write-offs ---------------------------------------------------------------------------------

WRITE_OFF_IS_A_MANAGERS = "Only a manager may write off an invoice: ask one to."


def _write_off_plan(invoice: Invoice, params: dict) -> Figures:
    due = plan_write_off(invoice)
    return [
        ["Total", shown(invoice_total(invoice))],
        ["Due now", shown(due)],
        ["Written off", shown(due)],
    ]


def _write_off_limit(actor: User, invoice: Invoice, params: dict) -> None:
    plan_write_off(invoice)  # what the action refuses comes first, as for the other kinds
    if not actor.has_perm("billing.write_off"):
        raise errors.AboveRepLimit(WRITE_OFF_IS_A_MANAGERS)


WRITE_OFF = Approvable(
    kind=Kind.WRITE_OFF_INVOICE,
    perm="write_off",
    ask_perm="ask_write_off",
    field="invoice",
    lock=lambda invoice: locks.lock_invoice(invoice.pk),
    plan=_write_off_plan,
    # The amount asked, kept for the per-rep report; approval writes off what is due then,
    # which the preview's comparison holds to this.
    settle=lambda invoice, params: {"amount": amount_param(plan_write_off(invoice))},
    limit=_write_off_limit,
    run=lambda invoice, params, **kw: write_off_invoice(invoice, **kw),
    summary=lambda invoice, params: (
        f"Write off {shown(Money(params['amount'], invoice.currency))} on {invoice.number}"
    ),
    outcome=lambda invoice: f"{invoice.number} written off.",
)

SPECS: dict[str, Approvable] = {
    spec.kind: spec for spec in (REFUND, INVOICE_DISCOUNT, ORDER_DISCOUNT, ORDER_TERMS, WRITE_OFF)
}


def subject_of(request: ApprovalRequest) -> Model:
    """The row the request's action acts on (loaded, not locked)."""
    return getattr(request, SPECS[request.kind].field)
