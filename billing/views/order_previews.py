"""What an order change would do to the money, shown before the rep confirms it.

Nothing here writes. The re-price preview is `preview_proration` itself, so it shows exactly
the lines `change_order_terms` posts. The cancel preview repeats `cancel_order`'s day rule
(unused days of the current period over its length, one rounding by `money.prorate`) rather
than reaching into billing's private helpers; the action caps it at what is left to refund
on the period's payment, and the label says so.
"""

from django import forms
from djmoney.money import Money

from billing.actions import preview_proration
from billing.models import Order
from core import clock, money

FIX_FIRST = "Fix the highlighted fields to see what will happen to the money."


def _data(form: forms.Form) -> dict | None:
    """The form's clean data, its initial values while unbound, None while a field the money
    depends on is invalid (a missing reason does not stop the preview)."""
    if not form.is_bound:
        return {name: field.initial for name, field in form.fields.items()}
    form.is_valid()
    return None if set(form.errors) - {"reason"} else form.cleaned_data


def _row(label: str, amount: Money, kind: str = "") -> dict:
    return {"label": label, "amount": amount, "kind": kind}


def terms_preview(order: Order, form: forms.Form) -> dict:
    data = _data(form)
    if data is None:
        return {"error": FIX_FIRST}
    unit_price, quantity = data.get("unit_price"), data.get("quantity")
    per_period = (unit_price or order.unit_price) * (quantity or order.quantity)
    zero = money.zero(order.currency)
    if data.get("effective") != "now" or not data.get("prorate"):
        when = "today" if data.get("effective") == "now" else _date(order.next_charge_on)
        return {
            "rows": [_row("Charged now", zero, "total")],
            "note": f"From {when} each period bills {per_period}. The current period is not "
            "prorated.",
        }
    lines = preview_proration(order, unit_price=unit_price, quantity=quantity)
    if not lines:
        return {
            "rows": [_row("Charged now", zero, "total")],
            "note": "Today is outside a billed period: there is nothing to prorate.",
        }
    net = money.sum_money((line.amount for line in lines), order.currency)
    rows = [
        _row("Credit for unused time", lines[0].amount, "credit"),
        _row("Charge for the remaining time", lines[1].amount),
    ]
    if net.amount >= 0:
        rows.append(_row("Net due now", net, "total"))
        card = order.payment_method
        note = f"Charged now to {card}." if card and net.amount else "Invoiced now."
    else:
        rows.append(_row("Credit kept on the order", -net, "total"))
        note = "Taken off the order's next charges; nothing is charged now."
    return {"rows": rows, "note": f"{lines[0].description}. {note}"}


def cancel_preview(order: Order, form: forms.Form) -> dict:
    data = _data(form)
    if data is None:
        return {"error": FIX_FIRST}
    zero = money.zero(order.currency)
    if data.get("at") != "now":
        ends = order.current_period_end or order.next_charge_on
        return {
            "rows": [_row("Refunded", zero, "total")],
            "note": f"No more charges; the order ends on {_date(ends)}.",
        }
    if not data.get("refund_unused"):
        return {"rows": [_row("Refunded", zero, "total")], "note": "Charges stop today."}
    on, start, end = clock.today(), order.current_period_start, order.current_period_end
    if not start or not end or not (start <= on < end):
        return {"rows": [_row("Refunded", zero, "total")], "note": "No unused paid time."}
    days, left = (end - start).days, (end - on).days
    unused = money.prorate(order.unit_price * order.quantity, left, days)
    return {
        "rows": [_row(f"Refund of unused time ({left} of {days} days)", unused, "total")],
        "note": "Refunded to the card that paid this period, at most what is left to refund "
        "on that payment. Charges stop today.",
    }


def _date(day) -> str:
    return f"{day:%-d %b %Y}" if day else "the next charge"
