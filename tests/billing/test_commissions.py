from decimal import Decimal

import pytest
from django.db.models import Sum
from djmoney.money import Money

from billing import errors, tasks
from billing.actions import (
    SaleLine,
    add_card,
    approve_commission,
    charge_sale,
    mark_invoice_paid,
    pay_commission,
    refund_payment,
    rerun_commissions,
    void_invoice,
    write_off_invoice,
)
from billing.invariants import breaches
from billing.models import Account, Commission, Journal, LedgerEntry
from billing.steps import commissions
from core.models import AuditEvent
from tests.factories import PartnerFactory, ProductFactory
from tests.helpers import race, usd

P = Commission.Status


def jpy(amount: int) -> Money:
    return Money(amount, "JPY")


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Run an action with its on-commit events (and so the commission tasks) delivered."""

    def act(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return act


@pytest.fixture
def sell(act, contact, card, rep):
    def sell(*products):
        lines = [SaleLine(p) for p in products]
        return act(charge_sale, contact, lines=lines, payment_method=card, actor=rep)

    return sell


def live(**filters) -> list[tuple]:
    """(partner, tier, amount, status, kind) of the non-cancelled rows, oldest first."""
    rows = Commission.objects.exclude(status=P.CANCELLED).filter(**filters).order_by("pk")
    return [(r.partner.name, r.tier, r.amount, r.status, r.kind) for r in rows]


def balance(account: Account, currency: str = "USD") -> Money:
    entries = LedgerEntry.objects.filter(account=account, amount_currency=currency)
    return Money(entries.aggregate(s=Sum("amount"))["s"] or 0, currency)


def test_a_paid_invoice_earns_the_referring_partner_its_default_rate(sell, partner, product):
    invoice = sell(product)
    assert live() == [("Bob's Blog", 1, usd("10.00"), P.PENDING, "earned")]
    assert Commission.objects.get().payment == invoice.payments.get()
    assert balance(Account.COMMISSION_EXPENSE) == usd("10.00")
    assert balance(Account.COMMISSION_PAYABLE) == usd("-10.00")
    assert AuditEvent.objects.filter(action="commissions.rerun").count() == 1
    assert breaches() == []


def test_a_contact_nobody_referred_earns_nothing(sell, product):
    sell(product)
    assert not Commission.objects.exists()
    assert not Journal.objects.filter(kind="commissions").exists()


def test_product_rates_override_the_default_per_line(sell, act, partner, rep):
    course = ProductFactory(name="Course", price=usd("100.00"))
    ebook = ProductFactory(name="Ebook", price=usd("50.00"), commission_rate=Decimal("25"))
    invoice = sell(course, ebook)
    assert live() == [("Bob's Blog", 1, usd("22.50"), P.PENDING, "earned")]  # 10.00 + 12.50
    # $120 kept of $150: the blended 15 % on what is kept, money not yet approved reduced.
    act(refund_payment, invoice.payments.get(), amount=usd("30"), actor=rep, reason="damaged")
    assert live() == [("Bob's Blog", 1, usd("18.00"), P.PENDING, "adjustment")]
    assert Commission.objects.get(status=P.CANCELLED).amount == usd("22.50")
    assert balance(Account.COMMISSION_EXPENSE) == usd("18.00")
    assert breaches() == []


def test_the_partners_parent_earns_the_second_tier(sell, act, partner, product, rep):
    partner.parent = PartnerFactory(name="Network", second_tier_rate=Decimal("5"))
    partner.save()
    invoice = sell(product)
    assert live() == [
        ("Bob's Blog", 1, usd("10.00"), P.PENDING, "earned"),
        ("Network", 2, usd("5.00"), P.PENDING, "earned"),
    ]
    act(refund_payment, invoice.payments.get(), amount=usd("40"), actor=rep, reason="x")
    assert commissions.owed(invoice) == {
        (partner.pk, 1): usd("6.00"),
        (partner.parent.pk, 2): usd("3.00"),
    }
    assert [row[2] for row in live()] == [usd("6.00"), usd("3.00")]
    assert breaches() == []


def test_a_refund_after_payout_is_clawed_back(sell, act, partner, product, rep, manager):
    invoice = sell(product)
    payment = invoice.payments.get()
    act(refund_payment, payment, amount=usd("20"), actor=rep, reason="late")
    (earned,) = Commission.objects.filter(status=P.PENDING)
    assert earned.amount == usd("8.00")
    approve_commission(earned, actor=manager)
    paid = pay_commission(earned, actor=manager, reference="PAYOUT-7")
    assert (paid.status, paid.reference) == (P.PAID, "PAYOUT-7")
    assert balance(Account.COMMISSION_PAYABLE) == usd("0.00")
    assert balance(Account.CASH) == usd("100.00") - usd("20.00") - usd("8.00")
    act(refund_payment, payment, actor=rep, reason="returned it all")
    assert live() == [
        ("Bob's Blog", 1, usd("8.00"), P.PAID, "adjustment"),
        ("Bob's Blog", 1, usd("-8.00"), P.PENDING, "clawback"),
    ]
    assert balance(Account.COMMISSION_EXPENSE) == usd("0.00")
    assert balance(Account.COMMISSION_PAYABLE) == usd("8.00")  # the partner owes it back
    assert breaches() == []


def test_a_write_off_keeps_the_commission_on_what_was_collected(
    act, contact, partner, product, rep, manager
):
    declined = add_card(contact, token="pm_card_chargeDeclined", actor=manager)
    invoice = act(
        charge_sale, contact, lines=[SaleLine(product)], payment_method=declined, actor=rep
    )
    assert not Commission.objects.exists()
    act(mark_invoice_paid, invoice, amount=usd("40"), method="cash", actor=rep, reason="at desk")
    assert live() == [("Bob's Blog", 1, usd("4.00"), P.PENDING, "earned")]
    act(write_off_invoice, invoice, actor=manager, reason="gone quiet")
    assert live() == [("Bob's Blog", 1, usd("4.00"), P.PENDING, "earned")]
    assert rerun_commissions(invoice, actor=manager) == []
    assert breaches() == []


def test_a_voided_invoice_owes_nothing(sell, act, partner, product, rep):
    invoice = sell(product)
    act(refund_payment, invoice.payments.get(), actor=rep, reason="wrong product")
    act(void_invoice, invoice, actor=rep, reason="wrong product")
    assert commissions.owed(invoice) == {}
    assert live() == []
    assert balance(Account.COMMISSION_EXPENSE) == usd("0.00")
    assert breaches() == []


def test_jpy_commissions_round_once_to_whole_yen(act, contact, card, partner, rep):
    partner.parent = PartnerFactory(name="Network", second_tier_rate=Decimal("3"))
    partner.save()
    dojo = ProductFactory(name="Dojo", price=jpy(12345))
    invoice = act(charge_sale, contact, lines=[SaleLine(dojo)], payment_method=card, actor=rep)
    # 1234.5 and 370.35 yen, rounded half-even to the yen.
    assert [row[2] for row in live()] == [jpy(1234), jpy(370)]
    act(refund_payment, invoice.payments.get(), amount=jpy(2345), actor=rep, reason="x")
    assert [row[2] for row in live()] == [jpy(1000), jpy(300)]
    assert balance(Account.COMMISSION_EXPENSE, "JPY") == jpy(1300)
    assert breaches() == []


def test_rerun_posts_only_the_difference_and_a_second_run_nothing(sell, partner, product, manager):
    invoice = sell(product)
    journals = Journal.objects.count()
    assert rerun_commissions(invoice, actor=manager, reason="check") == []
    assert tasks.recompute_commissions(invoice.pk) == []
    assert Journal.objects.count() == journals
    partner.default_rate = Decimal("12")
    partner.save()
    (top_up,) = rerun_commissions(invoice, actor=manager, reason="rate agreed")
    assert (top_up.amount, top_up.kind, top_up.reason) == (usd("2.00"), "earned", "rate agreed")
    assert rerun_commissions(invoice, actor=manager) == []
    assert Journal.objects.count() == journals + 1
    assert breaches() == []


def test_moving_a_referral_moves_the_commission(sell, contact, partner, product, manager):
    invoice = sell(product)
    approve_commission(Commission.objects.get(), actor=manager)
    contact.referred_by = PartnerFactory(name="Carol", default_rate=Decimal("20"))
    contact.save()
    rerun_commissions(invoice, actor=manager, reason="wrong partner")
    assert live() == [
        ("Bob's Blog", 1, usd("10.00"), P.APPROVED, "earned"),
        ("Bob's Blog", 1, usd("-10.00"), P.PENDING, "clawback"),
        ("Carol", 1, usd("20.00"), P.PENDING, "earned"),
    ]
    assert breaches() == []


def test_only_managers_rerun_approve_and_pay(sell, partner, product, rep, manager):
    invoice = sell(product)
    row = Commission.objects.get()
    with pytest.raises(errors.NotAllowed):
        rerun_commissions(invoice, actor=rep)
    with pytest.raises(errors.NotAllowed):
        approve_commission(row, actor=rep)
    with pytest.raises(errors.NotAllowed):
        pay_commission(row, actor=rep)


def test_the_lifecycle_refuses_skipped_or_repeated_steps(sell, partner, product, manager):
    sell(product)
    row = Commission.objects.get()
    with pytest.raises(errors.InvalidTransition, match="commission is pending"):
        pay_commission(row, actor=manager)
    approve_commission(row, actor=manager)
    with pytest.raises(errors.InvalidTransition, match="commission is approved"):
        approve_commission(row, actor=manager)
    pay_commission(row, actor=manager, idempotency_key="payout-1")
    again = pay_commission(row, actor=manager, idempotency_key="payout-1")
    assert again.status == P.PAID
    assert Journal.objects.filter(kind="commission_paid").count() == 1
    assert breaches() == []


@pytest.mark.django_db(transaction=True)
def test_reruns_racing_on_one_invoice_post_once(contact, card, product, rep):

    invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    contact.referred_by = PartnerFactory(default_rate=Decimal("10"))
    contact.save()
    results = race(8, lambda i: tasks.recompute_commissions(invoice.pk))
    assert sorted(len(r) for r in results) == [0] * 7 + [1], results
    assert live() == [(contact.referred_by.name, 1, usd("10.00"), P.PENDING, "earned")]
    assert Journal.objects.filter(kind="commissions").count() == 1
    assert breaches() == []
