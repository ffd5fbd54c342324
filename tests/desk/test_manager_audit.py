"""The audit browser: every event across the system, filtered, naming what each touched."""

import pytest
from django.urls import reverse

from billing.actions import SaleLine, add_card, charge_sale, refund_payment, void_invoice
from core.models import AuditEvent
from tests import factories
from tests.helpers import text, usd

AUDIT = reverse("desk:audit")


@pytest.fixture
def trail(contact, card, product, rep, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        paid = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
        refund_payment(paid.payments.get(), amount=usd("10.00"), actor=rep, reason="Scratched")
        other = factories.ContactFactory(first_name="Grace", last_name="Hopper")
        workshop = factories.ProductFactory(name="Workshop", price=usd("20.00"))
        declining = add_card(other, token="pm_card_chargeDeclined", actor=manager)
        voided = charge_sale(other, lines=[SaleLine(workshop)], payment_method=declining, actor=rep)
        void_invoice(voided, actor=manager, reason="Sold twice")
    return {"paid": paid, "voided": voided, "other": other}


def _events(response) -> list[AuditEvent]:
    return response.context["events"]


def test_every_event_is_listed_with_what_it_touched(manager_client, trail):
    response = manager_client.get(AUDIT)
    assert response.status_code == 200
    assert len(_events(response)) == AuditEvent.objects.count()
    page = text(response)
    assert f"Invoice {trail['paid'].number}" in page
    assert "Sold twice" in page and "Scratched" in page
    assert trail["other"].get_absolute_url() in page


def test_an_invoice_filter_finds_its_payments_and_refunds_too(manager_client, trail):
    paid = trail["paid"]
    events = _events(manager_client.get(AUDIT, {"invoice": paid.pk}))
    assert {e.subject_type.model for e in events} >= {"invoice", "payment", "refund"}
    assert all(e.contact_id == paid.contact_id for e in events)


@pytest.mark.parametrize("field", ["actor", "action", "contact"])
def test_each_filter_keeps_only_its_events(manager_client, trail, manager, field):
    value = {"actor": manager.pk, "action": "invoice.voided", "contact": trail["other"].pk}[field]
    events = _events(manager_client.get(AUDIT, {field: value}))
    assert events
    expected = AuditEvent.objects.filter(
        **{
            "actor": {"actor": manager},
            "action": {"action": "invoice.voided"},
            "contact": {"contact_id": trail["other"].pk},
        }[field]
    )
    assert [e.pk for e in events] == list(
        expected.order_by("-created_at", "-pk").values_list("pk", flat=True)
    )


def test_an_action_family_matches_every_action_in_it(manager_client, trail):
    events = _events(manager_client.get(AUDIT, {"action": "invoice"}))
    assert events and all(e.action.startswith("invoice.") for e in events)


def test_the_audit_browser_costs_the_same_queries_for_few_or_many_events(
    manager_client, contact, card, product, rep, django_assert_max_num_queries
):
    def sell(n: int) -> None:
        for _ in range(n):
            charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)

    sell(2)
    with django_assert_max_num_queries(12) as few:
        manager_client.get(AUDIT)
    sell(25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = manager_client.get(AUDIT)
    assert len(_events(response)) == 50
