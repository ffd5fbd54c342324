"""The contact record: its panels, what each role sees there, and its cost as invoices pile up."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money

from billing.actions import SaleLine, record_sale, refund_payment
from billing.models import Payment
from core.money import format_money
from desk.record import HISTORY, RECORD_PAGE
from tests import factories
from tests.helpers import HTMX, text, usd


def test_the_record_shows_cards_balance_invoices_payments_and_history(
    rep_client, declined_invoice, paid_invoice, card
):
    refund_payment(
        paid_invoice.payments.get(),
        amount=usd("30.00"),
        actor=paid_invoice.created_by,
        reason="Damaged box",
    )
    response = rep_client.get(paid_invoice.contact.get_absolute_url())
    page = text(response)

    assert "Visa •••• 4242" in page
    assert "$100.00" in page  # the declined invoice is still owed
    assert "Declined" in page and "Partly refunded" in page
    assert "Damaged box" in page  # the refund's reason in the history
    assert "Write off" not in page  # a rep may not write off


def test_a_manager_sees_manager_actions(manager_client, declined_invoice):
    page = text(manager_client.get(declined_invoice.contact.get_absolute_url()))
    assert "Write off" in page


def test_each_panel_refreshes_on_its_own(rep_client, paid_invoice):
    url = paid_invoice.contact.get_absolute_url()
    for panel in ("contact-header", "invoices", "payments", "history"):
        response = rep_client.get(url, {"panel": panel}, **HTMX)
        assert response.content.lstrip().startswith(f'<section id="{panel}"'.encode())
        assert response["HX-Retarget"] == f"#{panel}"


def test_a_managers_invoice_rows_offer_what_each_invoice_allows(
    manager_client, manager, declined_invoice, paid_invoice
):
    payment = paid_invoice.payments.get()
    refund_payment(payment, amount=usd("30.00"), actor=manager, reason="Late")
    record = manager_client.get(paid_invoice.contact.get_absolute_url()).context["record"]
    rows = {row.pk: row for row in record.invoices}

    declined = rows[declined_invoice.pk]
    assert (declined.badge_label, declined.due) == ("Declined", "$100.00")
    assert [a.label for a in declined.actions] == [
        "Charge again",
        "Mark paid",
        "Discount",
        "Write off",
        "Void",
        "Replace",
        "Resend",
    ]
    assert declined.actions[0].url == reverse("billing:invoice-retry", args=[declined_invoice.pk])
    paid = rows[paid_invoice.pk]
    assert (paid.badge_label, paid.paid, paid.refunded) == ("Partly refunded", "$100.00", "$30.00")
    assert [a.label for a in paid.actions] == ["Refund", "Replace", "Resend"]  # no void: paid
    refund, replace, _ = paid.actions
    assert (refund.url, refund.note) == (
        reverse("billing:payment-refund", args=[payment.pk]),
        "(up to $70.00)",
    )
    assert not replace.inline  # its own page, not the row's slot


def _sell(contact, product, rep, n: int) -> None:
    for i in range(n):
        record_sale(contact, lines=[SaleLine(product)], reference=f"R-{i}", actor=rep)


@pytest.mark.long
def test_the_record_costs_the_same_queries_with_10_or_1000_invoices(
    rep_client, contact, product, rep, django_assert_num_queries
):
    def sell_and_refund_the_newest(n: int) -> None:
        """Refund rows under the payments and refund entries in the history, on either page."""
        _sell(contact, product, rep, n)
        for payment in Payment.objects.filter(contact=contact)[:3]:
            refund_payment(payment, amount=usd("10.00"), settle="outside", actor=rep, reason="Late")

    sell_and_refund_the_newest(10)
    url = contact.get_absolute_url()
    rep_client.get(url)  # warm the session and permission caches like any later request
    with CaptureQueriesContext(connection) as ten:
        rep_client.get(url)

    sell_and_refund_the_newest(990)
    with django_assert_num_queries(len(ten.captured_queries)):
        response = rep_client.get(url)
    assert len(response.context["record"].invoices) == RECORD_PAGE
    assert response.context["record"].next_invoices
    assert response.context["record"].next_history


def test_older_invoices_page_by_keyset(rep_client, contact, product, rep):
    _sell(contact, product, rep, 55)
    pks, cursor, pages = [], None, 0
    while pages == 0 or cursor:
        response = rep_client.get(contact.get_absolute_url(), {"before": cursor} if cursor else {})
        pks += [i.pk for i in response.context["record"].invoices]
        cursor, pages = response.context["record"].next_invoices, pages + 1

    assert len(pks) == 55 == len(set(pks))
    assert pages == 3  # 25, 25 and 5


def test_older_history_pages_by_keyset_at_the_same_cost(rep_client, contact, product, rep):
    _sell(contact, product, rep, 40)  # two events each: the sale and its payment
    url = contact.get_absolute_url()
    pages, cursor, costs = [], None, []
    while True:
        with CaptureQueriesContext(connection) as queries:
            response = rep_client.get(url, {"history_before": cursor} if cursor else {})
        costs.append(len(queries))
        record = response.context["record"]
        pages.append([e.pk for e in record.history])
        cursor = record.next_history
        if not cursor:
            break
    events = [pk for page in pages for pk in page]
    assert len(events) == 80 == len(set(events))
    assert [len(p) for p in pages] == [HISTORY, HISTORY, 80 - 2 * HISTORY]
    assert len(set(costs[1:])) == 1  # the first request also warms the session
    if_more = "Older history"
    assert if_more not in text(response)


def test_a_history_page_costs_the_same_whatever_its_events_are_about(
    rep_client, contact, product, rep, subscription
):
    """What each event is about (an order, a refund's invoice, a card) is read with the events:
    an older page holding every kind costs what the newest page of sales costs."""
    invoice = subscription.source_invoice
    refund_payment(
        invoice.payments.get(), amount=usd("10.00"), settle="outside", actor=rep, reason="Late"
    )
    _sell(contact, product, rep, HISTORY // 2)  # the newest page: sales and their payments
    url = contact.get_absolute_url()
    rep_client.get(url)  # warm the session and permission caches like any later request
    with CaptureQueriesContext(connection) as newest:
        cursor = rep_client.get(url).context["record"].next_history
    with CaptureQueriesContext(connection) as older:
        history = rep_client.get(url, {"history_before": cursor}).context["record"].history

    about = {e.action: e.about for e in history}
    assert about["order.opened"] == f"order #{subscription.pk}"
    assert about["refund.succeeded"] == invoice.number
    assert about["card.added"] == ""
    assert len(older) == len(newest)


def test_money_on_the_record_is_in_the_reps_locale_not_the_contacts(rep_client, rep):
    """A French contact's 90.500 KWD read "90,500 KWD" (ninety thousand) beside an English
    flash's "KWD30.250": the rep's page and its messages use the rep's locale only."""
    contact = factories.ContactFactory(locale="fr_FR", currency="KWD")
    product = factories.ProductFactory(price=Money("90.500", "KWD"))
    invoice = record_sale(contact, lines=[SaleLine(product)], reference="R-1", actor=rep)

    page = text(rep_client.get(contact.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en-US"))
    assert format_money(Money("90.500", "KWD"), "en_US") in page
    assert "90,500" not in page

    url = reverse("billing:payment-refund", args=[invoice.payments.get().pk])
    data = {"amount": "30.250", "reason": "Late", "settle": "outside"}
    response = rep_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en-US", **HTMX)
    message = json.loads(response["HX-Trigger"])["money-changed"]["message"]
    assert format_money(Money("30.250", "KWD"), "en_US") in message
    assert "30,250" not in text(response)


def test_a_reps_browser_locale_formats_the_record(rep_client, rep):
    contact = factories.ContactFactory(locale="en_US")
    product = factories.ProductFactory(price=Money("1234.50", "USD"))
    record_sale(contact, lines=[SaleLine(product)], reference="R-1", actor=rep)

    page = text(rep_client.get(contact.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))
    assert format_money(Money("1234.50", "USD"), "de_DE") in page
    assert "$1,234.50" not in page
