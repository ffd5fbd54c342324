"""The virtual terminal: pick a contact, build the grid, charge or record, save as offer."""

import pytest
from django.urls import reverse

from billing.actions import add_card
from billing.models import Invoice, Payment
from offers.actions import store_offer
from offers.models import Offer
from offers.terms import PaymentTerms
from tests import factories
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
        "lines-0-unit_price": "90.00",
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
    assert invoice.payments.get().amount == usd("170.00")


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
    assert "$170.00" in text(response)


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


def test_a_sale_from_a_stored_offer_records_the_offer_on_the_lines_left_as_offered(
    rep_client, manager, contact, card, product
):
    from billing.actions import SaleLine

    lines = [SaleLine(product, quantity=2, unit_price=usd("90.00"), discount=usd("10.00"))]
    offer = store_offer("Bundle", "USD", lines, actor=manager)
    shown = rep_client.get(URL, {"contact": contact.pk, "offer": offer.pk})
    assert f'name="lines-0-offer" value="{offer.pk}"' in shown.content.decode()
    other = factories.ProductFactory(name="Other")
    # The rep keeps the offer's row and turns a second one (loaded from it too) into another
    # product: that row is the rep's own, not the offer's.
    second = {"product": other.pk, "quantity": "1", "terms": "one_time", "unit": "month"}
    data = grid(
        contact,
        product,
        intent="charge",
        key="offer-1",
        **{"lines-TOTAL_FORMS": "2", "lines-0-offer": offer.pk, "lines-1-offer": offer.pk},
        **{f"lines-1-{name}": value for name, value in second.items()},
    )
    assert rep_client.post(URL, data).status_code == 302
    invoice = Invoice.objects.get(contact=contact)
    assert set(invoice.lines.values_list("product_id", "kind", "offer_id")) == {
        (product.pk, "item", offer.pk),
        (product.pk, "discount", offer.pk),
        (other.pk, "item", None),
    }


def test_a_manager_saves_the_grid_as_an_offer(manager_client, contact, product):
    data = grid(contact, product, intent="save_offer", offer_name="Phone special")
    response = manager_client.post(URL, data)

    assert response.status_code == 302
    offer = Offer.objects.get(name="Phone special")
    assert offer.version == 1
    line = offer.lines.get()
    assert (line.quantity, line.unit_price, line.discount) == (2, usd("90.00"), usd("10.00"))


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


def test_the_preview_of_a_discounted_trial_is_what_the_sale_charges(
    manager_client, contact, product, card
):
    trial = {
        "lines-0-quantity": "1",
        "lines-0-unit_price": "49.00",
        "lines-0-discount": "5.00",
        "lines-0-terms": "subscription",
        "lines-0-trial_days": "14",
        "lines-0-trial_price": "1.00",
    }
    preview = manager_client.post(reverse("billing:sale-preview"), grid(contact, product, **trial))
    assert "$1.00" in text(preview) and "-$4.00" not in text(preview)

    response = manager_client.post(
        URL, grid(contact, product, intent="charge", reason="x", **trial)
    )
    assert response.status_code == 302
    assert Payment.objects.get(contact=contact).amount == usd("1.00")


def test_a_price_typed_far_below_the_stored_price_is_refused_at_the_line(
    rep_client, contact, card, product
):
    from billing import limits

    before = counts()
    typed = {"lines-0-unit_price": "0.01", "lines-0-discount": ""}
    data = grid(contact, product, intent="charge", **typed)
    response = rep_client.post(URL, data)
    assert response.status_code == 422
    message = limits.LINE_DISCOUNT_LEFT.format(left="USD 40.00", limit=20, reference="USD 200.00")
    assert message in text(response)  # at the line's price, where the rep typed it
    assert 'id="id_lines-0-unit_price_error"' in text(response)
    assert counts() == before


def test_add_a_line_comes_back_with_one_more_row_and_acts_on_nothing(rep_client, contact, product):
    before = counts()
    response = rep_client.post(URL, grid(contact, product, intent="add_line"))

    assert response.status_code == 200
    page = text(response)
    assert 'name="lines-1-product"' in page  # the new, empty row
    assert 'name="lines-TOTAL_FORMS" value="2"' in page
    assert 'value="90.00"' in page  # what was typed stays
    assert "This field is required" not in page  # the new row is blank, not wrong
    assert counts() == before


def test_a_sale_of_three_products_and_a_removed_row(rep_client, contact, card, product):
    other = factories.ProductFactory(name="Workbook", price=usd("20.00"))
    third = factories.ProductFactory(name="Coaching", price=usd("5.00"))
    data = grid(
        contact,
        product,
        intent="charge",
        key="sale-3",
        **{
            "lines-TOTAL_FORMS": "4",
            "lines-1-product": other.pk,
            "lines-1-quantity": "1",
            "lines-1-terms": "one_time",
            "lines-1-unit": "month",
            "lines-2-product": third.pk,
            "lines-2-quantity": "1",
            "lines-2-terms": "one_time",
            "lines-2-unit": "month",
            "lines-3-product": product.pk,
            "lines-3-quantity": "1",
            "lines-3-unit_price": "abc",  # removed, so never read
            "lines-3-terms": "one_time",
            "lines-3-unit": "month",
            "lines-3-DELETE": "on",
        },
    )
    response = rep_client.post(URL, data)

    assert response.status_code == 302, response.context["lines"].errors
    invoice = Invoice.objects.get(contact=contact)
    assert invoice.lines.filter(kind="item").count() == 3
    assert invoice.payments.get().amount == usd("195.00")  # 2 x 90.00 - 10.00 + 20.00 + 5.00


def test_the_grid_offers_a_template_row_to_clone(rep_client, contact):
    page = text(rep_client.get(URL, {"contact": contact.pk}))
    assert "<template data-line-template>" in page
    assert 'name="lines-__prefix__-product"' in page
    assert "Add a line" in page


def test_the_preview_names_and_marks_the_field_it_cannot_read(rep_client, contact, product):
    data = grid(contact, product, **{"lines-0-unit_price": "10.001"})
    page = text(rep_client.post(reverse("billing:sale-preview"), data))

    assert 'data-invalid="id_lines-0-unit_price "' in page
    assert "Line 1, unit price" in page and "at most 2 decimals" in page


def test_a_wrong_price_in_another_currency_is_not_called_missing(rep_client, contact, product):
    data = grid(contact, product, currency="JPY", **{"lines-0-unit_price": "1.5"})
    page = text(rep_client.post(reverse("billing:sale-preview"), data))
    assert "JPY amounts cannot have decimals" in page
    assert "enter a price" not in page


def test_the_preview_names_a_bad_sale_field_with_good_lines(rep_client, contact, product):
    data = grid(contact, product, currency="XYZ")
    response = rep_client.post(reverse("billing:sale-preview"), data)
    assert response.status_code == 200
    page = text(response)
    assert 'href="#id_currency">Currency</a>' in page
    assert "id_currency" in page.split('data-invalid="', 1)[1].split('"', 1)[0]


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
