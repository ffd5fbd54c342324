"""The suite-wide scan of request bodies for card numbers (tests/card_number_requests.py) can
fail: a number posted to a Paydesk view is recorded, one posted to the sandbox processor is not."""

from django.urls import reverse

from tests import card_number_requests
from tests.helpers import HTMX, sandbox_setup


def test_a_card_number_posted_to_a_paydesk_view_is_recorded(request, rep_client, contact):
    before = len(card_number_requests.found)
    url = reverse("billing:card-add", args=[contact.pk])
    rep_client.post(url, {"setup": "seti_x", "note": "4242-4242-4242-4242"}, **HTMX)
    rep_client.get(url, {"q": "5555555555554444"})
    recorded = card_number_requests.found[before:]
    # Taken back out, or the session would fail at its end, as it should for any other test.
    del card_number_requests.found[before:]
    assert recorded == [f"{request.node.nodeid}: POST {url}", f"{request.node.nodeid}: GET {url}"]


def test_the_card_going_to_the_processor_is_not_recorded(contact):
    before = len(card_number_requests.found)
    sandbox_setup(contact)
    assert card_number_requests.found[before:] == []
