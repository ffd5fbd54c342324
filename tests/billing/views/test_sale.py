"""The virtual terminal: pick a contact, build the grid, charge or record, save as offer."""

import pytest
from django.urls import reverse

from billing.actions import add_card
from billing.models import Invoice, Payment
from offers.actions import store_offer
from offers.models import Offer
from offers.terms import PaymentTerms
from tests.helpers import counts, text, usd

URL = reverse("billing:sale-new")


def grid(contact, product, **extra) -> dict:
    data = {
        "contact": contact.pk,
        "currency": "USD",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-quantity": "2",
        "lines-0-unit_price": "80.00",
        "lines-0-discount": "10.00",
        "lines-0-terms": "one_time",
        "lines-0-unit": "month",
        "method": "other_system",
    }
    data.update({k: str(v) for k, v in extra.items()})
    return data


def test_selling_requires_login(client):
    assert client.get(URL).status_code == 302


def test_an_outsider_cannot_sell(outsider_client, contact, product):
    before = counts()
    assert outsider_client.post(URL, grid(contact, product, intent="charge")).status_code == 403
    assert counts() == before


def test_it_finds_the_buyer_first(rep_client, contact):
    response = rep_client.get(URL, {"q": "ada"})
    assert "Ada Lovelace" in text(response)


def test_it_charges_the_card_on_file(rep_client, contact, card, product):
    response = rep_client.post(URL, grid(contact, product, intent="charge", key="sale-1"))

    assert response.status_code == 302
    invoice = Invoice.objects.get(contact=contact)
    assert invoice.status == Invoice.Status.PAID
    assert invoice.payments.get().amount == usd("150.00")


def test_a_double_submit_charges_once(rep_client, contact, card, product):
    data = grid(contact, product, intent="charge", key="sale-2")
    rep_client.post(URL, data)
    rep_client.post(URL, data)
    assert Payment.objects.filter(contact=contact).count() == 1


def test_it_records_a_sale_paid_elsewhere(rep_client, contact, product):
    data = grid(contact, product, intent="record", reference="PP-123", method="other_system")
    rep_client.post(URL, data)
    payment = Payment.objects.get(contact=contact)
    assert (payment.method, payment.reference) == ("other_system", "PP-123")


def test_it_records_an_event_sale(rep_client, contact, product):
    data = grid(contact, product, intent="record", method="event", event_name="Summit 2026")
    rep_client.post(URL, data)
    assert Invoice.objects.get(contact=contact).event_name == "Summit 2026"


def test_an_event_sale_needs_the_event_name(rep_client, contact, product):
    before = counts()
    response = rep_client.post(URL, grid(contact, product, intent="record", method="event"))
    assert response.status_code == 422
    assert "Name the event." in text(response)
    assert counts() == before


def test_a_price_with_too_many_decimals_is_refused_at_the_line(rep_client, contact, product):
    before = counts()
    data = grid(contact, product, intent="charge", **{"lines-0-unit_price": "9.999"})
    response = rep_client.post(URL, data)
    assert response.status_code == 422
    assert "USD amounts have at most 2 decimals" in text(response)
    assert counts() == before


def test_a_payment_plan_charges_the_first_payment_now(rep_client, contact, product, card):
    plan = {
        "lines-0-terms": "payment_plan",
        "lines-0-paid_now": "50.00",
        "lines-0-installments": "2",
    }
    response = rep_client.post(URL, grid(contact, product, intent="charge", **plan))

    assert response.status_code == 302
    assert Payment.objects.get(contact=contact).amount == usd("50.00")


def test_a_plan_without_installments_is_refused_at_the_terms(rep_client, contact, product, card):
    before = counts()
    plan = {"lines-0-terms": "payment_plan", "lines-0-paid_now": "50.00"}
    response = rep_client.post(URL, grid(contact, product, intent="charge", **plan))

    assert response.status_code == 422
    assert "A payment plan needs at least one installment after the first" in text(response)
    assert counts() == before


def test_the_preview_shows_what_is_due_now(rep_client, contact, product):
    response = rep_client.post(reverse("billing:sale-preview"), grid(contact, product))
    assert "$150.00" in text(response)


def test_the_preview_of_a_plan_shows_the_first_payment(rep_client, contact, product):
    data = grid(
        contact,
        product,
        **{
            "lines-0-terms": "payment_plan",
            "lines-0-paid_now": "50.00",
            "lines-0-installments": "2",
        },
    )
    response = rep_client.post(reverse("billing:sale-preview"), data)
    assert "$50.00" in text(response)
    assert "then 2 payments every month" in text(response)


def test_a_stored_offer_prefills_the_grid(rep_client, manager, contact, product):
    from billing.actions import SaleLine

    lines = [SaleLine(product, quantity=3, unit_price=usd("90.00"))]
    offer = store_offer("Bundle", "USD", lines, actor=manager)
    response = rep_client.get(URL, {"contact": contact.pk, "offer": offer.pk})
    form = response.context["lines"].forms[0]
    assert form.initial["quantity"] == 3
    assert form.initial["unit_price"] == "90.00"


def test_a_manager_saves_the_grid_as_an_offer(manager_client, contact, product):
    data = grid(contact, product, intent="save_offer", offer_name="Phone special")
    response = manager_client.post(URL, data)

    assert response.status_code == 302
    offer = Offer.objects.get(name="Phone special")
    assert offer.version == 1
    line = offer.lines.get()
    assert (line.quantity, line.unit_price, line.discount) == (2, usd("80.00"), usd("10.00"))


def test_a_rep_cannot_save_offers(rep_client, contact, product):
    data = grid(contact, product, intent="save_offer", offer_name="Mine")
    assert rep_client.post(URL, data).status_code == 403
    assert not Offer.objects.exists()


@pytest.mark.parametrize("kind", ["subscription", "payment_plan"])
def test_offer_lines_keep_their_terms(kind, manager, product):
    from billing.actions import SaleLine

    terms = (
        PaymentTerms.subscription(trial_days=7)
        if kind == "subscription"
        else PaymentTerms.payment_plan(usd("10.00"), 3)
    )
    offer = store_offer("T", "USD", [SaleLine(product, terms=terms)], actor=manager)
    assert offer.lines_for_sale()[0].payment_terms == terms


def test_a_hard_decline_tells_the_rep_the_card_is_unusable_and_the_invoice_open(
    rep_client, contact, manager, product
):
    add_card(contact, token="pm_card_chargeDeclinedStolenCard", actor=manager)
    data = grid(contact, product, intent="charge", key="sale-stolen")
    data["lines-0-terms"] = "subscription"
    response = rep_client.post(URL, data, follow=True)

    invoice = Invoice.objects.get(contact=contact)
    assert invoice.status == Invoice.Status.OPEN
    page = text(response)
    assert f"{invoice.number} is open" in page
    assert "Card reported stolen: that card is now unusable" in page
