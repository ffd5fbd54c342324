"""The commissions panel and its manager-only actions: re-run, approve, record a payout."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.actions import SaleLine, charge_sale, refund_payment
from billing.models import Commission
from tests.helpers import HTMX, counts, text, usd


@pytest.fixture
def earned(partner, contact, card, product, rep, django_capture_on_commit_callbacks):
    """A paid $100 invoice whose partner earned $10 (the commission task ran on commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    return Commission.objects.get(invoice=invoice)


def rerun_url(commission) -> str:
    return reverse("billing:commission-rerun", args=[commission.invoice_id])


@pytest.mark.parametrize("name", ["commission-approve", "commission-pay"])
def test_payout_actions_require_login(client, earned, name):
    response = client.post(reverse(f"billing:{name}", args=[earned.pk]))
    assert response.status_code == 302


def test_rerun_requires_login(client, earned):
    assert client.post(rerun_url(earned)).status_code == 302


@pytest.mark.parametrize("name", ["commission-approve", "commission-pay"])
def test_a_rep_may_not_approve_or_pay(rep_client, earned, name):
    before = counts()
    response = rep_client.post(reverse(f"billing:{name}", args=[earned.pk]), {})
    assert response.status_code == 403
    assert counts() == before


def test_a_rep_may_not_rerun_commissions(rep_client, earned):
    before = counts()
    assert rep_client.post(rerun_url(earned), {}).status_code == 403
    assert counts() == before


def test_the_panel_shows_the_partners_commission(manager_client, earned):
    page = text(manager_client.get(earned.invoice.contact.get_absolute_url()))
    assert "Bob's Blog" in page and "$10.00" in page and "Pending" in page
    assert ">Approve</a>" in page and ">Re-run commissions</a>" in page


def test_a_rep_sees_no_commission_actions(rep_client, earned):
    page = text(rep_client.get(earned.invoice.contact.get_absolute_url()))
    assert "Bob's Blog" in page
    assert ">Approve</a>" not in page and ">Re-run commissions</a>" not in page


def test_a_rerun_after_a_refund_gives_back_the_difference(manager_client, earned, manager):
    # Refunded without the on-commit task, so the commission still says $10 until re-run.
    refund_payment(earned.invoice.payments.get(), amount=usd("40.00"), actor=manager, reason="x")
    response = manager_client.post(rerun_url(earned), {"reason": "Refund"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#commissions"
    live = Commission.objects.filter(invoice=earned.invoice).exclude(status="cancelled")
    assert sum(c.amount.amount for c in live) == Decimal("6.00")

    again = manager_client.post(rerun_url(earned), {}, **HTMX)
    assert "already up to date" in again["HX-Trigger"]


def test_a_manager_approves_then_records_the_payout(manager_client, earned):
    url = reverse("billing:commission-approve", args=[earned.pk])
    assert manager_client.post(url, {}, **HTMX).status_code == 200
    earned.refresh_from_db()
    assert earned.status == Commission.Status.APPROVED

    url = reverse("billing:commission-pay", args=[earned.pk])
    response = manager_client.post(url, {"reference": "WIRE-7"}, **HTMX)
    assert response.status_code == 200
    earned.refresh_from_db()
    assert (earned.status, earned.reference) == (Commission.Status.PAID, "WIRE-7")


def test_paying_a_pending_commission_is_refused(manager_client, earned):
    before = counts()
    url = reverse("billing:commission-pay", args=[earned.pk])
    response = manager_client.post(url, {"reference": "x"}, **HTMX)
    assert response.status_code == 422
    assert "Cannot pay this commission: the commission is pending." in text(response)
    assert counts() == before
