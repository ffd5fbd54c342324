"""Dunning notice templates cannot reach secrets: they render plain values in a sandbox."""

import pytest
from django.core import mail
from django.urls import reverse

from dunning import notice_templates, notices
from dunning.models import NoticeTemplate
from tests.helpers import text
from tests.input.world import build_world

SECRETS = "[{{ invoice.created_by.password }}][{{ contact.payment_methods.all.0.token }}]"


@pytest.fixture
def world(manager, rep, django_capture_on_commit_callbacks):
    return build_world(manager, rep, django_capture_on_commit_callbacks)


def test_a_notice_cannot_print_a_password_hash_or_a_card_token(world):
    world.contact.email = "ada@example.com"
    world.contact.save()
    NoticeTemplate.objects.update_or_create(
        policy=world.policy,
        kind="first",
        defaults={
            "subject": "About {{ invoice.number }}",
            "body_text": SECRETS + "{{ amount_due }}",
        },
    )
    mail.outbox.clear()  # the world's receipts
    assert notices.send(world.case, "first")
    (sent,) = mail.outbox
    assert sent.subject == f"About {world.open_invoice.number}"
    # The customer's links are added to every notice; nothing else is.
    assert sent.body.startswith("[][]$100.00\n\nPay online: http://127.0.0.1:8000/pay/")
    assert world.card.token not in sent.body


def test_notices_get_plain_strings_only(world):
    values = notices.notice_values(world.case, 1)
    assert values["contact"]["first_name"] == "Ada"
    flat = [
        v
        for value in values.values()
        for v in (value.values() if isinstance(value, dict) else [value])
    ]
    assert all(isinstance(v, str) for v in flat)
    with pytest.raises(TypeError):
        notice_templates.render("{{ contact }}", {"contact": world.contact})


@pytest.mark.parametrize("source", ["{% debug %}", "{% load static %}", "{{ amount_due|safe }}"])
def test_the_sandbox_has_no_tags_and_few_filters(source):
    with pytest.raises(Exception, match="Invalid"):
        notice_templates.render(source, {})


def test_the_policy_page_refuses_unknown_variables_and_lists_the_allowed_ones(manager_client):
    data = {"name": "Nosy", "interval_days": "3", "window_days": "30", "max_attempts": "5"}
    data["final_action"] = "leave"
    for kind in ("first", "further", "final"):
        data[f"{kind}-subject"] = "Hello"
        data[f"{kind}-body_text"] = SECRETS
    response = manager_client.post(reverse("dunning:policy-create"), data)
    assert response.status_code == 422
    assert "Unknown variable {{ contact.payment_methods.all.0.token }}" in text(response)
    page = text(manager_client.get(reverse("dunning:policy-create")))
    for name in notice_templates.VARIABLES:
        assert "{{ " + name + " }}" in page
