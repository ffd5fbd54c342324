from django.urls import reverse

from tests.helpers import text


def test_the_printable_invoice_shows_lines_and_totals(rep_client, paid_invoice):
    response = rep_client.get(reverse("billing:invoice-document", args=[paid_invoice.pk]))
    page = text(response)
    assert f"Invoice {paid_invoice.number}" in page
    assert "Masterclass" in page and "$100.00" in page


def test_an_outsider_cannot_read_invoices(outsider_client, paid_invoice):
    url = reverse("billing:invoice-document", args=[paid_invoice.pk])
    assert outsider_client.get(url).status_code == 403


def test_the_browser_time_zone_is_kept_for_the_session(rep_client):
    response = rep_client.post(reverse("core:timezone-set"), {"tz": "Asia/Tokyo"})
    assert response.status_code == 204
    assert rep_client.session["tz"] == "Asia/Tokyo"
    assert rep_client.post(reverse("core:timezone-set"), {"tz": "Mars/Base"}).status_code == 422
