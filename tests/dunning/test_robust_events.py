"""A committed change cannot be broken by what listens to it."""

import logging

import pytest
from django.urls import reverse

from billing import events
from billing.models import Invoice
from tests.helpers import text

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def listeners():
    heard = []

    def broken(sender, **kwargs):
        raise RuntimeError("listener broke")

    def after(sender, invoice, **kwargs):
        heard.append(invoice.pk)

    events.invoice_paid.connect(broken, dispatch_uid="test-broken")
    events.invoice_paid.connect(after, dispatch_uid="test-after")
    yield heard
    events.invoice_paid.disconnect(dispatch_uid="test-broken")
    events.invoice_paid.disconnect(dispatch_uid="test-after")


def test_a_raising_receiver_neither_stops_the_others_nor_fails_the_rep(
    rep_client, declined_invoice, listeners, caplog, django_capture_on_commit_callbacks
):
    url = reverse("billing:invoice-mark-paid", args=[declined_invoice.pk])
    data = {"method": "check", "reference": "CHK-1", "reason": "Check came"}
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = rep_client.post(url, data, **HTMX)

    assert response.status_code == 200, text(response)
    declined_invoice.refresh_from_db()
    assert declined_invoice.status == Invoice.Status.PAID
    assert listeners == [declined_invoice.pk]
    assert "listener broke" in caplog.text
    assert "Traceback" in caplog.text
