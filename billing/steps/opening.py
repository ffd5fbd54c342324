"""What a sale asks for now, and the open orders it leaves behind.

- one-time line: its total now;
- subscription: the first period now (or the trial price, the first period at trial end);
- payment plan: the initial amount now, the rest split into exact installments later.
A line's discount applies to what is charged now, except on a subscription with a trial:
there it comes off the first paid period (an order discount for one charge), so a trial never
bills below zero and its price stays what was sold.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from djmoney.money import Money

from billing import errors
from billing.models import Invoice, Order
from billing.schedule import add_interval, period_start
from billing.steps.invoicing import LineSpec
from core import audit, clock, money
from offers.lines import SaleLine


@dataclass
class OrderPlan:
    line: SaleLine
    status: str
    anchor_on: dt.date
    periods_billed: int
    installments: list[int] = field(default_factory=list)
    period_end: dt.date | None = None
    # What the period the sale starts is billed at (the trial price on a trial).
    period_price: Money | None = None


def plan_sale(lines: list[SaleLine], today: dt.date) -> tuple[list[LineSpec], list[OrderPlan]]:
    specs: list[LineSpec] = []
    plans: list[OrderPlan] = []
    for line in lines:
        terms = line.payment_terms
        name = line.product.name
        offer_id = line.offer.pk if line.offer is not None else None
        common = {"product": line.product, "offer_id": offer_id, "terms": terms.to_json()}
        if terms.kind == "one_time":
            specs.append(LineSpec(name, line.price, line.quantity, line.subtotal, **common))
        elif terms.kind == "subscription" and terms.trial_days:
            anchor = today + dt.timedelta(days=terms.trial_days)
            if terms.trial_price and terms.trial_price.amount:
                specs.append(
                    LineSpec(
                        f"{name} (trial)",
                        terms.trial_price,
                        1,
                        terms.trial_price,
                        **common,
                        period_start=today,
                        period_end=anchor,
                    )
                )
            trial = terms.trial_price or money.zero(str(line.price.currency))
            plans.append(
                OrderPlan(
                    line, Order.Status.TRIALING, anchor, 0, period_end=anchor, period_price=trial
                )
            )
            continue  # its discount waits for the first paid period
        elif terms.kind == "subscription":
            end = add_interval(today, terms.every, terms.unit)
            specs.append(
                LineSpec(
                    name,
                    line.price,
                    line.quantity,
                    line.subtotal,
                    **common,
                    period_start=today,
                    period_end=end,
                )
            )
            plans.append(
                OrderPlan(
                    line, Order.Status.ACTIVE, today, 1, period_end=end, period_price=line.total
                )
            )
        else:
            rest = line.total - terms.initial
            if rest.amount <= 0:
                raise errors.InvalidAmount(
                    "Nothing is left for the installments: lower the amount paid now.",
                    field="initial",
                )
            parts = [money.to_minor_units(p) for p in money.allocate(rest, terms.installments)]
            if min(parts) <= 0:
                raise errors.InvalidAmount(
                    "Too many installments for the amount: each must be at least one minor unit.",
                    field="installments",
                )
            if terms.initial.amount:
                specs.append(
                    LineSpec(f"{name} (first payment)", terms.initial, 1, terms.initial, **common)
                )
            plans.append(
                OrderPlan(
                    line,
                    Order.Status.ACTIVE,
                    today,
                    1,
                    installments=parts,
                    period_price=terms.initial,
                )
            )
            continue  # the plan's line discount is already inside its total
        if line.discount:
            specs.append(
                LineSpec(
                    f"Discount on {name}",
                    -line.discount,
                    1,
                    -line.discount,
                    kind="discount",
                    product=line.product,
                    offer_id=offer_id,
                )
            )
    return specs, plans


def open_orders(
    invoice: Invoice,
    plans: list[OrderPlan],
    *,
    card,
    actor: User,
    reason: str = "",
    collection_method: str = Order.CollectionMethod.CHARGE_AUTOMATICALLY,
) -> list[Order]:
    orders = []
    for plan in plans:
        line, terms = plan.line, plan.line.payment_terms
        discount_later = plan.status == Order.Status.TRIALING and bool(line.discount)
        order = Order.objects.create(
            contact=invoice.contact,
            product=line.product,
            offer=line.offer,
            kind=terms.kind,
            status=plan.status,
            currency=invoice.currency,
            terms=terms.to_json(),
            unit_price=line.price,
            sold_unit_price=line.price,
            quantity=line.quantity,
            installments=plan.installments,
            payment_method=card,
            collection_method=collection_method,
            anchor_on=plan.anchor_on,
            periods_billed=plan.periods_billed,
            current_period_start=invoice.issued_at.date(),
            current_period_end=plan.period_end,
            period_price=plan.period_price,
            discount_amount=line.discount if discount_later else None,
            discount_charges=1 if discount_later else 0,
            source_invoice=invoice,
            dunning_policy_name=line.dunning_policy,
            created_at=clock.now(),
        )
        order.next_charge_on = period_start(order, plan.periods_billed)
        order.save(update_fields=["next_charge_on"])
        audit.record(
            "order.opened",
            order,
            actor=actor,
            reason=reason,
            contact_id=order.contact_id,
            amount=Money(line.total.amount, invoice.currency),
            after={
                "terms": terms.describe(),
                "next_charge_on": str(order.next_charge_on),
                "collection_method": collection_method,
            },
        )
        orders.append(order)
    return orders
