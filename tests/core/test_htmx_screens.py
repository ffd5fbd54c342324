"""What every htmx answer does whichever screen made it: Back gets a whole page, caches keep
fragments and pages apart, and an ended session says so instead of swapping in the login page."""

from django.urls import reverse

from tests.helpers import HTMX, text

RESTORE = {**HTMX, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}


def test_an_htmx_request_gets_the_form_alone(rep_client, paid_invoice):
    url = reverse("billing:payment-refund", args=[paid_invoice.payments.get().pk])
    response = rep_client.get(url, **HTMX)
    assert response.content.lstrip().startswith(b'<form class="action-form"')
    assert "HX-Request" in response["Vary"]


def test_back_after_the_history_cache_is_gone_gets_the_whole_page(rep_client, paid_invoice):
    url = reverse("billing:payment-refund", args=[paid_invoice.payments.get().pk])
    response = rep_client.get(url, **RESTORE)
    assert b"<!doctype html>" in response.content
    assert "HX-Request" in response["Vary"]


def test_every_page_varies_on_hx_request(rep_client, contact):
    assert "HX-Request" in rep_client.get(contact.get_absolute_url())["Vary"]


def test_an_expired_session_answers_htmx_with_401_and_an_event(client, paid_invoice):
    url = reverse("billing:payment-refund", args=[paid_invoice.payments.get().pk])
    response = client.post(url, {"amount": "10.00", "reason": "late"}, **HTMX)

    assert response.status_code == 401
    assert "session-expired" in response["HX-Trigger"]
    assert response["HX-Reswap"] == "none"
    assert "Log in" not in text(response)  # never the login page, which htmx would swap in


def test_an_expired_session_without_htmx_still_goes_to_the_login_page(client, paid_invoice):
    url = reverse("billing:payment-refund", args=[paid_invoice.payments.get().pk])
    response = client.post(url, {"amount": "10.00", "reason": "late"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
