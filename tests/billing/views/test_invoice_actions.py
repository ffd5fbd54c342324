"""Every invoice action view: login, role, bad input (422, nothing written), success."""

import pytest
from django.urls import reverse

from billing import errors, limits
from billing.models import Invoice, InvoiceLine, Payment
from billing.selectors import amount_due
from core.models import AuditEvent
from tests.helpers import HTMX, counts, text, usd

ACTIONS = [
    "invoice-discount",
    "invoice-mark-paid",
    "invoice-retry",
    "invoice-void",
    "invoice-write-off",
    "invoice-reverse-write-off",
    "invoice-send",
    "invoice-replace",
]
MANAGER_ONLY = ["invoice-reverse-write-off", "invoice-replace"]


@pytest.mark.parametrize("name", ACTIONS)
def test_it_requires_login(client, declined_invoice, name):
    response = client.post(reverse(f"billing:{name}", args=[declined_invoice.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ACTIONS)
def test_it_refuses_users_without_the_role(outsider_client, declined_invoice, name):
    before = counts()
    response = outsider_client.post(
        reverse(f"billing:{name}", args=[declined_invoice.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    assert counts() == before


@pytest.mark.parametrize("name", MANAGER_ONLY)
def test_a_rep_is_refused_manager_only_actions(rep_client, declined_invoice, name):
    before = counts()
    response = rep_client.post(
        reverse(f"billing:{name}", args=[declined_invoice.pk]), {"reason": "please"}
    )
    assert response.status_code == 403
    assert counts() == before


def test_a_rep_may_only_ask_a_manager_to_write_off(rep_client, declined_invoice):
    before = counts()
    response = rep_client.post(
        reverse("billing:invoice-write-off", args=[declined_invoice.pk]), {"reason": "please"}
    )
    assert response.status_code == 422
    assert "Only a manager may write off an invoice" in text(response)
    assert counts() == before


def test_the_action_form_opens_in_place(rep_client, declined_invoice):
    url = reverse("billing:invoice-discount", args=[declined_invoice.pk])
    response = rep_client.get(url, **HTMX)
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert f'hx-post="{url}"'.encode() in response.content
    assert b'name="key"' in response.content


def test_it_discounts_an_open_invoice(rep_client, declined_invoice):
    url = reverse("billing:invoice-discount", args=[declined_invoice.pk])
    response = rep_client.post(url, {"amount": "10.00", "reason": "Loyal customer"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#invoices"
    assert "money-changed" in response["HX-Trigger"]
    line = InvoiceLine.objects.get(invoice=declined_invoice, kind="discount")
    assert line.amount == usd("-10.00")
    assert amount_due(declined_invoice) == usd("90.00")
    assert AuditEvent.objects.filter(action="invoice.discounted", reason="Loyal customer").exists()


def test_the_customer_reads_the_discount_text_never_the_reps_reason(rep_client, declined_invoice):
    url = reverse("billing:invoice-discount", args=[declined_invoice.pk])
    data = {"amount": "10.00", "description": "Loyalty thanks", "reason": "Billing mix-up"}
    rep_client.post(url, data, **HTMX)

    line = InvoiceLine.objects.get(invoice=declined_invoice, kind="discount")
    assert line.description == "Loyalty thanks"
    document = text(rep_client.get(declined_invoice.get_absolute_url()))
    assert "Loyalty thanks" in document and "Billing mix-up" not in document
    assert AuditEvent.objects.filter(action="invoice.discounted", reason="Billing mix-up").exists()


def test_a_discount_without_text_reads_discount_on_the_invoice(rep_client, declined_invoice):
    url = reverse("billing:invoice-discount", args=[declined_invoice.pk])
    rep_client.post(url, {"amount": "10.00", "reason": "Internal: goodwill"}, **HTMX)
    line = InvoiceLine.objects.get(invoice=declined_invoice, kind="discount")
    assert line.description == "Discount"


def test_a_discount_without_a_reason_is_refused_at_the_field(rep_client, declined_invoice):
    before = counts()
    url = reverse("billing:invoice-discount", args=[declined_invoice.pk])
    response = rep_client.post(url, {"amount": "10.00", "reason": ""}, **HTMX)

    assert response.status_code == 422
    assert errors.REASON_REQUIRED in text(response)
    assert counts() == before


def test_a_discount_with_too_many_decimals_is_refused(rep_client, declined_invoice):
    before = counts()
    url = reverse("billing:invoice-discount", args=[declined_invoice.pk])
    response = rep_client.post(url, {"amount": "1.005", "reason": "x"}, **HTMX)

    assert response.status_code == 422
    assert "USD amounts have at most 2 decimals" in text(response)
    assert counts() == before


def test_a_discount_above_the_rep_limit_needs_a_manager(rep_client, declined_invoice):
    before = counts()
    url = reverse("billing:invoice-discount", args=[declined_invoice.pk])
    response = rep_client.post(url, {"percent": "50", "reason": "x"}, **HTMX)

    assert response.status_code == 422
    message = limits.INVOICE_DISCOUNT_LEFT.format(left="USD 20.00", limit=20)
    assert message in text(response)
    assert counts() == before


def test_it_marks_part_of_an_invoice_paid(rep_client, declined_invoice):
    url = reverse("billing:invoice-mark-paid", args=[declined_invoice.pk])
    data = {"amount": "40.00", "method": "check", "reference": "CHK-1", "reason": "Check came"}
    response = rep_client.post(url, data, **HTMX)

    assert response.status_code == 200
    payment = declined_invoice.payments.get(method="check")
    assert payment.amount == usd("40.00")
    assert payment.reference == "CHK-1"
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == Invoice.Status.OPEN
    assert amount_due(declined_invoice) == usd("60.00")


def test_marking_more_than_is_due_is_refused(rep_client, declined_invoice):
    before = counts()
    url = reverse("billing:invoice-mark-paid", args=[declined_invoice.pk])
    data = {"amount": "500.00", "method": "cash", "reason": "x"}
    response = rep_client.post(url, data, **HTMX)

    assert response.status_code == 422
    assert errors.AMOUNT_ABOVE_DUE.format(due=usd("100.00")) in text(response)
    assert counts() == before


def test_it_charges_a_declined_invoice_again(rep_client, declined_invoice, card):
    url = reverse("billing:invoice-retry", args=[declined_invoice.pk])
    response = rep_client.post(url, {"payment_method": card.pk}, **HTMX)

    assert response.status_code == 200
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == Invoice.Status.PAID
    assert declined_invoice.payments.filter(status=Payment.Status.SUCCEEDED).count() == 1


def test_charging_a_paid_invoice_again_is_refused(rep_client, paid_invoice):
    before = counts()
    url = reverse("billing:invoice-retry", args=[paid_invoice.pk])
    response = rep_client.post(url, {}, **HTMX)
    assert response.status_code == 422
    assert counts() == before


def test_it_voids_an_invoice_with_no_money_on_it(rep_client, declined_invoice):
    url = reverse("billing:invoice-void", args=[declined_invoice.pk])
    response = rep_client.post(url, {"reason": "Sold by mistake"}, **HTMX)

    assert response.status_code == 200
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == Invoice.Status.VOID


def test_voiding_a_paid_invoice_is_refused(rep_client, paid_invoice):
    before = counts()
    url = reverse("billing:invoice-void", args=[paid_invoice.pk])
    response = rep_client.post(url, {"reason": "x"}, **HTMX)

    assert response.status_code == 422
    assert errors.VOID_WITH_MONEY in text(response)
    assert counts() == before


def test_a_manager_writes_off_and_reverses(manager_client, declined_invoice):
    url = reverse("billing:invoice-write-off", args=[declined_invoice.pk])
    response = manager_client.post(url, {"reason": "Customer vanished"}, **HTMX)
    assert response.status_code == 200
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == Invoice.Status.WRITTEN_OFF
    assert amount_due(declined_invoice) == usd("0")

    url = reverse("billing:invoice-reverse-write-off", args=[declined_invoice.pk])
    response = manager_client.post(url, {"reason": "Customer is back"}, **HTMX)
    assert response.status_code == 200
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == Invoice.Status.OPEN
    assert amount_due(declined_invoice) == usd("100.00")


def test_writing_off_a_paid_invoice_is_refused(manager_client, paid_invoice):
    before = counts()
    url = reverse("billing:invoice-write-off", args=[paid_invoice.pk])
    response = manager_client.post(url, {"reason": "x"}, **HTMX)
    assert response.status_code == 422
    assert counts() == before


def test_it_resends_an_invoice(rep_client, paid_invoice, mailoutbox):
    url = reverse("billing:invoice-send", args=[paid_invoice.pk])
    response = rep_client.post(url, {"to": "ada@example.com"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#history"
    event = AuditEvent.objects.get(action="invoice.sent")
    assert event.after == {"to": "ada@example.com"}


def test_a_bad_email_is_refused_at_the_field(rep_client, paid_invoice):
    before = counts()
    url = reverse("billing:invoice-send", args=[paid_invoice.pk])
    response = rep_client.post(url, {"to": "not-an-email"}, **HTMX)
    assert response.status_code == 422
    assert "Enter a valid email address." in text(response)
    assert counts() == before


def test_a_manager_replaces_a_paid_invoice(manager_client, paid_invoice, product):
    url = reverse("billing:invoice-replace", args=[paid_invoice.pk])
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-quantity": "1",
        "lines-0-unit_price": "120.00",
        "lines-0-terms": "one_time",
        "lines-0-unit": "month",
        "reason": "Wrong price",
    }
    response = manager_client.post(url, data)

    assert response.status_code == 302
    paid_invoice.refresh_from_db()
    assert paid_invoice.status == Invoice.Status.VOID
    new = paid_invoice.replaced_by
    assert new.payments.count() == 1
    assert amount_due(new) == usd("20.00")


def test_without_javascript_success_redirects_to_the_record(rep_client, declined_invoice):
    url = reverse("billing:invoice-void", args=[declined_invoice.pk])
    response = rep_client.post(url, {"reason": "Duplicate"})
    assert response.status_code == 302
    assert response.url == declined_invoice.contact.get_absolute_url()


def test_without_javascript_bad_input_shows_the_whole_page(rep_client, declined_invoice):
    url = reverse("billing:invoice-void", args=[declined_invoice.pk])
    response = rep_client.post(url, {"reason": ""})
    assert response.status_code == 422
    assert b"<html" in response.content
    assert errors.REASON_REQUIRED in text(response)


def test_a_double_submit_acts_once(rep_client, declined_invoice):
    url = reverse("billing:invoice-mark-paid", args=[declined_invoice.pk])
    data = {"amount": "10.00", "method": "cash", "reason": "Cash", "key": "k-1"}
    rep_client.post(url, data, **HTMX)
    rep_client.post(url, data, **HTMX)
    assert declined_invoice.payments.filter(method="cash").count() == 1
