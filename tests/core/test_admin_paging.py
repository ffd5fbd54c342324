from django.contrib import admin
from django.urls import reverse

from billing.models import Invoice
from core import admin_paging
from core.admin import ViewOnlyAdmin
from core.admin_paging import EstimatedCountPaginator, estimated_rows
from tests import factories


def test_a_small_result_is_counted_exactly(paid_invoice, declined_invoice):
    assert EstimatedCountPaginator(Invoice.objects.all(), 100).count == 2


def test_a_large_result_takes_the_planners_estimate(monkeypatch, paid_invoice):
    monkeypatch.setattr(admin_paging, "EXACT_BELOW", 0)
    invoices = Invoice.objects.filter(status="paid")
    estimate = estimated_rows(invoices)
    assert isinstance(estimate, int) and estimate >= 1
    assert EstimatedCountPaginator(invoices, 100).count == estimate


def test_no_view_only_list_asks_for_a_distinct_over_its_whole_table():
    view_only = [a for a in admin.site._registry.values() if isinstance(a, ViewOnlyAdmin)]
    assert len(view_only) > 10
    for model_admin in view_only:
        assert not model_admin.date_hierarchy, model_admin
        assert model_admin.paginator is EstimatedCountPaginator
        assert model_admin.show_full_result_count is False


def test_the_journal_kind_filter_lists_the_kinds_on_the_books(client, paid_invoice):
    client.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:billing_journal_changelist")
    page = client.get(url).content.decode()
    assert "?kind=invoice_issued" in page and "?kind=payment_captured" in page
    assert "?kind=refund" not in page  # no refund on these books
    filtered = client.get(url, {"kind": "payment_captured"})
    assert list(filtered.context["cl"].result_list) == [
        paid_invoice.journals.get(kind="payment_captured")
    ]
