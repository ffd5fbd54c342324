"""The admin: every model has its pages, money and ledger rows are view-only, list pages do not
issue a query per row."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money

from billing.actions import (
    SaleLine,
    add_card,
    charge_sale,
    pause_order,
    record_sale,
    refund_payment,
)
from billing.models import Invoice, Journal, LedgerEntry, Order, Payment, PaymentMethod
from contacts.models import Contact
from core.models import ClockOffset
from offers.models import Offer, OfferLine, Product
from offers.terms import PaymentTerms
from tests import factories

APPS = {"core", "contacts", "offers", "billing"}
MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label in APPS),
    key=lambda m: m._meta.label,
)
VIEW_ONLY = {
    "core.AuditEvent", "core.IdempotencyKey", "core.ClockOffset", "billing.Invoice",
    "billing.Payment", "billing.Refund", "billing.PaymentMethod", "billing.Journal",
    "billing.LedgerEntry", "billing.SandboxCard", "billing.SandboxTransaction", "billing.Order",
    "billing.OrderChange", "billing.Commission", "billing.AccessGrant", "billing.Delivery",
}  # fmt: skip


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def sell(contact, product, manager):
    card = add_card(contact, token="pm_card_visa", actor=manager)
    return charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=manager)


@pytest.fixture
def books(contact, card, product, manager, django_capture_on_commit_callbacks):
    """At least one row of every model, built through the real actions."""
    product.delivery_email, product.download_url = True, "https://example.com/course.zip"
    product.access, product.access_days = "days", 30
    product.save()
    contact.referred_by = factories.PartnerFactory()
    contact.save()
    with django_capture_on_commit_callbacks(execute=True):
        invoice = charge_sale(
            contact, lines=[SaleLine(product)], payment_method=card, actor=manager
        )
        subscription = charge_sale(
            contact, lines=[SaleLine(product, terms=PaymentTerms.subscription())],
            payment_method=card, actor=manager,
        )  # fmt: skip
    pause_order(Order.objects.get(source_invoice=subscription), actor=manager, reason="holiday")
    refund_payment(
        invoice.payments.get(), amount=Money("30", "USD"), actor=manager, reason="late delivery"
    )
    record_sale(
        contact, lines=[SaleLine(product)], reference="SHOP-77", actor=manager,
        idempotency_key="admin-test-sale",
    )  # fmt: skip
    offer = Offer.objects.create(family="0b5e3f5c-8d7e-4a53-9d26-4d0d1ff2a0a1", name="Starter")
    OfferLine.objects.create(offer=offer, product=product, unit_price=Money("90", "USD"))
    ClockOffset.objects.create(pk=1, seconds=0)
    return invoice


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_model_has_working_admin_pages(admin_client, books, model):
    assert admin_client.get(url(model, "changelist")).status_code == 200
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"the fixture built no {model._meta.label}"
    assert admin_client.get(url(model, "change", row.pk)).status_code == 200
    expected = 403 if model._meta.label in VIEW_ONLY else 200
    assert admin_client.get(url(model, "add")).status_code == expected


def test_the_admin_covers_core_contacts_offers_and_billing():
    registered = {m._meta.label for m in MODELS}
    editable = {
        "contacts.Contact", "contacts.Partner", "offers.Product", "offers.Offer",
    }  # fmt: skip
    assert registered >= VIEW_ONLY | editable


@pytest.mark.parametrize("model", [Journal, LedgerEntry, Payment])
def test_the_admin_refuses_to_change_or_delete_ledger_and_money_rows(admin_client, books, model):
    row = model.objects.order_by("pk").first()
    before = model.objects.values().get(pk=row.pk)

    assert admin_client.post(url(model, "change", row.pk), {"memo": "edited"}).status_code == 403
    assert admin_client.post(url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    changelist = admin_client.get(url(model, "changelist"))
    assert b"delete_selected" not in changelist.content
    assert model.objects.values().get(pk=row.pk) == before


def test_the_invoice_page_shows_its_lines_and_payments_read_only(admin_client, books):
    response = admin_client.get(url(Invoice, "change", books.pk))
    assert b"Masterclass" in response.content
    assert b'name="lines-0-description"' not in response.content


def test_invoices_are_found_by_number(admin_client, books):
    response = admin_client.get(url(Invoice, "changelist"), {"q": books.number})
    assert list(response.context["cl"].result_list) == [books]


def test_payments_are_found_by_reference_and_invoice_number(admin_client, books):
    recorded = Payment.objects.get(reference="SHOP-77")
    changelist = url(Payment, "changelist")
    by_reference = admin_client.get(changelist, {"q": "shop-77"}).context["cl"].result_list
    assert list(by_reference) == [recorded]
    by_number = admin_client.get(changelist, {"q": books.number}).context["cl"].result_list
    assert list(by_number) == [books.payments.get()]


def test_card_lists_show_brand_last4_and_expiry_but_not_the_token(admin_client, card):
    response = admin_client.get(url(PaymentMethod, "changelist"))
    assert b"4242" in response.content and b"12/2034" in response.content
    assert card.token.encode() not in response.content


def test_contacts_are_editable_and_link_to_their_record(admin_client, contact):
    change = url(Contact, "change", contact.pk)
    page = admin_client.get(change)
    view_on_site = reverse("admin:view_on_site", args=[page.context["content_type_id"], contact.pk])
    assert view_on_site.encode() in page.content
    assert admin_client.get(view_on_site).url.endswith(contact.get_absolute_url())

    data = {
        "first_name": "Ada", "last_name": "Byron", "email": "ada@example.com", "phone": "",
        "company": "", "currency": "EUR", "locale": "en_GB", "referred_by": "",
    }  # fmt: skip
    assert admin_client.post(change, data).status_code == 302
    contact.refresh_from_db()
    assert (contact.last_name, contact.currency) == ("Byron", "EUR")


def test_a_price_with_more_decimals_than_its_currency_is_refused(admin_client):
    data = {
        "name": "Seminar", "sku": "SEM-1", "price_0": "1500.5", "price_1": "JPY",
        "access": "none", "access_days": "0", "revoke_on_refund": "on",
    }  # fmt: skip
    response = admin_client.post(url(Product, "add"), data)
    assert response.status_code == 200
    assert "JPY amounts cannot have decimals" in response.context["adminform"].form.errors["price"]
    assert not Product.objects.exists()


def test_an_offer_line_in_another_currency_is_refused(admin_client, product):
    data = {
        "family": "3f1e0c1a-2b7d-4c55-8a9e-0d2b6c7e8f90", "version": "1", "name": "Bundle",
        "currency": "EUR", "dunning_policy_name": "",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
        "lines-0-position": "0", "lines-0-product": str(product.pk), "lines-0-quantity": "1",
        "lines-0-unit_price_0": "90.00", "lines-0-unit_price_1": "USD",
        "lines-0-discount_0": "", "lines-0-discount_1": "USD", "lines-0-terms": "{}",
    }  # fmt: skip
    response = admin_client.post(url(Offer, "add"), data)
    assert response.status_code == 200
    assert not Offer.objects.exists()

    data["currency"] = "USD"
    assert admin_client.post(url(Offer, "add"), data).status_code == 302
    assert Offer.objects.get().lines.get().unit_price == Money("90.00", "USD")


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("model", [Payment, LedgerEntry])
def test_list_pages_cost_the_same_for_3_or_30_sales(
    admin_client, manager, product, model, django_assert_max_num_queries
):
    changelist = url(model, "changelist")
    for _ in range(3):
        sell(factories.ContactFactory(), product, manager)
    admin_client.get(changelist)  # warm the session and content-type caches
    with_three = _queries(admin_client, changelist)

    for _ in range(27):
        sell(factories.ContactFactory(), product, manager)
    with django_assert_max_num_queries(with_three):
        response = admin_client.get(changelist)
    per_page = response.context["cl"].list_per_page
    assert len(response.context["cl"].result_list) == min(model.objects.count(), per_page)
    assert _queries(admin_client, changelist) == with_three
