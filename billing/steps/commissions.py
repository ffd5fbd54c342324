"""Referral commissions: what partners earn on the money an invoice actually collected.

Owed on an invoice = its net collected amount (succeeded payments minus succeeded refunds;
nothing on a void invoice, nothing on the part written off) times the rate:
- tier 1, the contact's `referred_by` partner: each product line's `commission_rate`, else
  the partner's `default_rate`. The collected money is spread over the products in proportion
  to their line amounts (their own discount lines included; invoice-wide discounts lower all
  of them alike), and the blended rate is applied with one rounding per (partner, tier);
- tier 2, that partner's `parent`, at the parent's `second_tier_rate`.
The owed amount is a function of the invoice's state now, so `recompute` (behind the
`rerun_commissions` action and the automatic task) can be run any number of times: it posts only the difference from the partner's non-cancelled rows.
An inactive partner earns no more, but still gives back what refunds take away.

Every change posts one journal (Dr commission expense, Cr commissions payable; negative for
reductions) and one audit event, in the transaction that holds the invoice's lock.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.contrib.auth.models import User
from django.db import transaction
from djmoney.money import Money

from billing import ledger
from billing.models import Account, Commission, Invoice, InvoiceLine, Payment, Refund
from billing.steps import locks
from billing.transitions import move
from contacts.models import Contact, Partner
from core import audit, clock, money
from offers.models import Product

Key = tuple[int, int]  # (partner_id, tier)


@dataclass(frozen=True)
class Owed:
    partner: Partner
    tier: int
    rate: Fraction  # share of the base: 1/10 for 10 %
    base: Money
    amount: Money


def collected(invoice: Invoice) -> Money:
    cur = invoice.currency
    captured = Payment.objects.filter(invoice=invoice, status=Payment.Status.SUCCEEDED)
    returned = Refund.objects.filter(payment__in=captured, status=Refund.Status.SUCCEEDED)
    return money.sum_money((p.amount for p in captured), cur) - money.sum_money(
        (r.amount for r in returned), cur
    )


def _direct_rate(invoice: Invoice, partner: Partner) -> Fraction:
    """The tier-1 rate blended over the invoice's products, weighted by their line amounts."""
    default = Fraction(partner.default_rate) / 100
    weights: dict[int, Fraction] = {}
    lines = InvoiceLine.objects.filter(invoice=invoice, product__isnull=False)
    for product_id, amount in lines.values_list("product_id", "amount"):
        weights[product_id] = weights.get(product_id, Fraction(0)) + Fraction(amount)
    # A product credited below zero (a proration credit) earns nothing rather than less.
    weights = {pk: w for pk, w in weights.items() if w > 0}
    total = sum(weights.values(), Fraction(0))
    if not total:
        return default
    rates = dict(Product.objects.filter(pk__in=weights).values_list("pk", "commission_rate"))
    return (
        sum(
            (w * (Fraction(rates[pk]) / 100 if rates[pk] is not None else default))
            for pk, w in weights.items()
        )
        / total
    )


def _share(base: Money, rate: Fraction) -> Money:
    return money.prorate(base, rate.numerator, rate.denominator)


def owed_detail(invoice: Invoice) -> dict[Key, Owed]:
    partner = Contact.objects.select_related("referred_by__parent").get(pk=invoice.contact_id)
    partner = partner.referred_by
    base = collected(invoice)
    if partner is None or invoice.status == Invoice.Status.VOID or base.amount <= 0:
        return {}
    rate = _direct_rate(invoice, partner)
    found = {(partner.pk, 1): Owed(partner, 1, rate, base, _share(base, rate))}
    parent = partner.parent
    if parent is not None and parent.pk != partner.pk and parent.second_tier_rate > 0:
        rate = Fraction(parent.second_tier_rate) / 100
        found[(parent.pk, 2)] = Owed(parent, 2, rate, base, _share(base, rate))
    return found


def owed(invoice: Invoice) -> dict[Key, Money]:
    return {key: o.amount for key, o in owed_detail(invoice).items()}


def _percent(rate: Fraction) -> Decimal:
    return (Decimal(rate.numerator * 100) / Decimal(rate.denominator)).quantize(Decimal("0.0001"))


def recompute(
    invoice_pk: int, *, actor: User | None = None, reason: str, payment_pk: int | None = None
) -> list[Commission]:
    """Bring the invoice's commissions to what is owed now; returns the rows it created or
    cancelled (none when nothing changed, so a second run posts nothing)."""
    with transaction.atomic(durable=True):
        # The invoice lock serialises reruns: two concurrent ones cannot both post a difference.
        invoice = locks.lock_invoice(invoice_pk)
        rows = list(
            Commission.objects.filter(invoice=invoice)
            .exclude(status=Commission.Status.CANCELLED)
            .order_by("pk")
            .select_for_update(of=("self",))
        )
        detail = owed_detail(invoice)
        keys = sorted(set(detail) | {(r.partner_id, r.tier) for r in rows})
        partners = Partner.objects.in_bulk([pk for pk, _ in keys])
        touched: list[Commission] = []
        changes: list[Money] = []
        for key in keys:
            mine = [r for r in rows if (r.partner_id, r.tier) == key]
            settled = _settle_key(
                invoice, partners[key[0]], key, mine, detail.get(key), payment_pk, reason
            )
            if settled is not None:
                changes.append(settled[0])
                touched.extend(settled[1])
        if not touched:
            return []
        entries = []
        for change in changes:
            entries += [
                ledger.debit(Account.COMMISSION_EXPENSE, change),
                ledger.credit(Account.COMMISSION_PAYABLE, change),
            ]
        net = money.sum_money(changes, invoice.currency)
        ledger.post(
            "commissions",
            entries,
            contact=invoice.contact,
            invoice=invoice,
            actor=actor,
            memo=reason,
        )
        audit.record(
            "commissions.rerun",
            invoice,
            actor=actor,
            reason=reason,
            contact_id=invoice.contact_id,
            amount=net,
            after={
                "rows": [[r.pk, r.partner_id, r.tier, str(r.amount), r.status] for r in touched]
            },
        )
    return touched


def _settle_key(
    invoice: Invoice,
    partner: Partner,
    key: Key,
    mine: list[Commission],
    target: Owed | None,
    payment_pk: int | None,
    reason: str,
) -> tuple[Money, list[Commission]] | None:
    """Rows that move (partner, tier) from what it holds to what it is owed, and the change."""
    cur = invoice.currency
    held = money.sum_money((r.amount for r in mine), cur)
    diff = (target.amount if target else money.zero(cur)) - held
    if diff.amount == 0 or (diff.amount > 0 and not partner.active):
        return None
    base_diff = (target.base if target else money.zero(cur)) - money.sum_money(
        (r.base for r in mine), cur
    )
    rate = target.rate if target else Fraction(0)

    def new(kind: str, amount: Money, base: Money) -> Commission:
        return Commission.objects.create(
            partner=partner,
            invoice=invoice,
            payment_id=payment_pk,
            tier=key[1],
            rate=_percent(rate),
            base=base,
            amount=amount,
            kind=kind,
            reason=reason[:300],
            created_at=clock.now(),
        )

    if diff.amount > 0:
        return diff, [new(Commission.Kind.EARNED, diff, base_diff)]
    # Less is owed: take it from money not yet approved first, then claw back the rest.
    pending = [r for r in mine if r.status == Commission.Status.PENDING and r.amount.amount > 0]
    for row in pending:
        move(row, Commission.Status.CANCELLED, what="cancel this commission")
        row.save(update_fields=["status"])
    keep = money.sum_money((r.amount for r in pending), cur) + diff
    keep_base = money.sum_money((r.base for r in pending), cur) + base_diff
    rows = list(pending)
    if keep.amount > 0:
        rows.append(new(Commission.Kind.ADJUSTMENT, keep, keep_base))
    elif keep.amount < 0:
        rows.append(new(Commission.Kind.CLAWBACK, keep, keep_base))
    return diff, rows
