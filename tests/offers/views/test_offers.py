"""The catalogue: offers are versioned on edit, products are archived, not deleted."""

import pytest
from django.apps import apps
from django.urls import reverse

from billing.actions import SaleLine
from offers.actions import store_offer
from offers.models import Offer, Product
from tests.helpers import text, usd


def _offer_data(product, name="Bundle", price="90.00") -> dict:
    return {
        "name": name,
        "currency": "USD",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-quantity": "1",
        "lines-0-unit_price": price,
        "lines-0-terms": "one_time",
        "lines-0-unit": "month",
    }


def test_offers_require_login(client):
    assert client.get(reverse("offers:offer-list")).status_code == 302


def test_a_rep_sees_offers_but_cannot_create_them(rep_client, product):
    assert rep_client.get(reverse("offers:offer-list")).status_code == 200
    response = rep_client.post(reverse("offers:offer-create"), _offer_data(product))
    assert response.status_code == 403
    assert not Offer.objects.exists()


def test_a_manager_creates_an_offer(manager_client, product):
    manager_client.post(reverse("offers:offer-create"), _offer_data(product))
    offer = Offer.objects.get()
    assert (offer.version, offer.archived) == (1, False)
    assert offer.lines.get().unit_price == usd("90.00")


def test_an_offer_without_lines_is_refused(manager_client, product):
    data = _offer_data(product)
    data["lines-0-product"] = ""
    response = manager_client.post(reverse("offers:offer-create"), data)
    assert response.status_code == 422
    assert "Add at least one line." in text(response)
    assert not Offer.objects.exists()


def test_editing_an_offer_stores_a_new_version(manager_client, manager, product):
    old = store_offer("Bundle", "USD", [SaleLine(product, unit_price=usd("90.00"))], actor=manager)
    manager_client.post(
        reverse("offers:offer-edit", args=[old.pk]), _offer_data(product, price="95.00")
    )

    old.refresh_from_db()
    new = Offer.objects.get(family=old.family, version=2)
    assert old.archived and not new.archived
    assert old.lines.get().unit_price == usd("90.00")  # what was sold stays as sold
    assert new.lines.get().unit_price == usd("95.00")


def test_a_manager_archives_an_offer(manager_client, manager, product):
    offer = store_offer("Bundle", "USD", [SaleLine(product)], actor=manager)
    manager_client.post(reverse("offers:offer-archive", args=[offer.pk]))
    offer.refresh_from_db()
    assert offer.archived


def test_a_manager_creates_edits_and_archives_a_product(manager_client):
    data = {
        "name": "Workshop",
        "sku": "WS-1",
        "price_0": "250.00",
        "price_1": "USD",
        "access": "none",
        "access_days": "0",
    }
    manager_client.post(reverse("offers:product-create"), data)
    product = Product.objects.get(sku="WS-1")
    manager_client.post(
        reverse("offers:product-edit", args=[product.pk]), {**data, "name": "Big workshop"}
    )
    manager_client.post(reverse("offers:product-archive", args=[product.pk]))
    product.refresh_from_db()
    assert (product.name, product.active) == ("Big workshop", False)


def test_a_rep_cannot_archive_a_product(rep_client, product):
    assert rep_client.post(reverse("offers:product-archive", args=[product.pk])).status_code == 403
    product.refresh_from_db()
    assert product.active


def test_there_is_no_coupon_feature_nothing_could_use(manager_client):
    """Coupons could be created but no sale, offer or invoice could apply one: removed."""
    with pytest.raises(LookupError):
        apps.get_model("offers", "Coupon")
    assert "Coupons" not in text(manager_client.get(reverse("offers:offer-list")))
