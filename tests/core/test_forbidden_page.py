"""A refused page says who may do it and keeps the navigation, instead of a bare "403 Forbidden"."""

from django.urls import reverse

from billing.actions import write_off_invoice
from core import roles
from tests.helpers import text


def test_a_rep_on_a_managers_page_is_told_a_manager_may(rep_client):
    response = rep_client.get(reverse("dunning:policy-list"))
    page = text(response)

    assert response.status_code == 403
    assert "Only a manager may do this" in page
    assert 'aria-label="Main"' in page  # the top bar's navigation is there
    assert reverse("contacts:contact-list") in page


def test_a_refused_action_names_the_role_too(rep_client, declined_invoice, manager):
    # Reps may ask for a write-off; reversing one is a manager's alone.
    write_off_invoice(declined_invoice, actor=manager, reason="Customer cannot pay")
    url = reverse("billing:invoice-reverse-write-off", args=[declined_invoice.pk])
    response = rep_client.get(url)
    assert response.status_code == 403
    assert "Only a manager may do this" in text(response)


def test_each_permission_maps_to_the_least_trusted_role_that_holds_it():
    assert roles.role_for("billing.refund") == roles.REP
    assert roles.role_for("contacts.view_contact") == roles.REP
    assert roles.role_for("billing.write_off") == roles.MANAGER
    assert roles.role_for("billing.delete_invoice") == roles.BILLING_ADMIN
