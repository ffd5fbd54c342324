"""What an order change would do to the money, shown before the rep confirms it.

Nothing here writes. Each preview is the action's own plan: the re-price preview is
`preview_proration`, the lines `change_order_terms` posts; the cancel preview is `plan_cancel`,
the refunds and credit `cancel_order` carries out.
"""

from django import forms
from djmoney.money import Money

from billing.actions import plan_cancel, preview_proration
from billing.models import Order, Payment
from core import money

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
            "note": "Nothing to prorate: today is outside a billed period, or in a trial, "
            "which keeps its price; the new price starts with the first paid period.",
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
        rows.append(_row("Added to the contact's credit", -net, "total"))
        note = "Taken off the contact's next invoices; refundable. Nothing is charged now."
    return {"rows": rows, "note": f"{lines[0].description}. {note}"}


def cancel_preview(order: Order, form: forms.Form) -> dict:
    data = _data(form)
    if data is None:
        return {"error": FIX_FIRST}
    at = "now" if data.get("at") == "now" else "end_of_term"
    plan = plan_cancel(order, at=at, refund_unused=bool(data.get("refund_unused")))
    zero = money.zero(order.currency)
    if at == "end_of_term":
        return {
            "rows": [_row("Refunded", zero, "total")],
            "note": f"No more charges; the order ends on {_date(plan.ends_on)}.",
        }
    if not data.get("refund_unused"):
        return {"rows": [_row("Refunded", zero, "total")], "note": "Charges stop today."}
    if not plan.days:
        return {"rows": [_row("Refunded", zero, "total")], "note": "No unused paid time."}
    rows = [
        _row(f"Unused time ({plan.days_left} of {plan.days} days)", plan.unused),
        *(_row(_refund_label(payment), amount) for payment, amount in plan.refunds),
    ]
    if plan.to_credit:
        rows.append(_row("Back to the contact's credit (paid with credit)", plan.to_credit))
    rows.append(_row("Refunded", plan.refunded, "total"))
    return {
        "rows": rows,
        "note": "Unused time is valued at what this period was billed at and goes back to "
        "the payments that paid for it, at most what is left to refund on each. "
        "Charges stop today.",
    }


def _refund_label(payment: Payment) -> str:
    return f"Back to {payment.get_method_display().lower()} payment #{payment.pk}"


def _date(day) -> str:
    return f"{day:%-d %b %Y}" if day else "the next charge"
