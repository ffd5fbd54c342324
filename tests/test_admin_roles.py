"""Who opens what in the admin: managers read the money records only, dj-stripe's models are
for superusers alone."""

import pytest
from django.contrib import admin
from django.urls import reverse

from billing.models import Invoice, Journal, Payment
from offers.models import Offer, Product
from tests import factories
from tests.helpers import text


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


DJSTRIPE = sorted(
    (m for m in admin.site._registry if m._meta.app_label == "djstripe"),
    key=lambda m: m._meta.label,
)


@pytest.fixture
def staff_client(client):
    client.force_login(factories.UserFactory(username="stan", is_staff=True))
    return client


@pytest.mark.parametrize("model", [Invoice, Payment, Journal])
def test_a_manager_reads_the_money_records_and_cannot_change_them(
    manager_client, paid_invoice, model
):
    assert manager_client.get(url(model, "changelist")).status_code == 200
    row = model.objects.filter(invoice=paid_invoice).first() if model != Invoice else paid_invoice
    page = manager_client.get(url(model, "change", row.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert manager_client.post(url(model, "change", row.pk), {}).status_code == 403
    assert manager_client.get(url(model, "add")).status_code == 403


def test_the_managers_admin_index_lists_only_the_view_only_records(manager_client):
    page = text(manager_client.get(reverse("admin:index")))
    assert "Invoices" in page and "Journals" in page
    assert "Offers" not in page and "Products" not in page
    assert "Djstripe" not in page and "Stripe" not in page


@pytest.mark.parametrize("model", [Offer, Product])
def test_a_manager_may_not_edit_the_catalogue_in_the_admin(manager_client, model):
    # Managers change offers through the desk's pages (which version them), not the admin.
    assert manager_client.get(url(model, "changelist")).status_code == 302
    assert manager_client.get(url(model, "add")).status_code == 302


def test_a_rep_is_kept_out_of_the_admin(rep_client):
    response = rep_client.get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response.url


def test_djstripe_models_are_hidden_from_staff_and_shown_to_superusers(staff_client, admin_client):
    assert len(DJSTRIPE) > 10
    staff_page = text(staff_client.get(reverse("admin:index")))
    assert "Djstripe" not in staff_page
    assert staff_client.get(url(DJSTRIPE[0], "changelist")).status_code == 302
    assert "Djstripe" in text(admin_client.get(reverse("admin:index")))
    assert admin_client.get(url(DJSTRIPE[0], "changelist")).status_code == 200
