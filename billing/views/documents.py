from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from billing.documents import invoice_context
from billing.models import Invoice
from core.roles import required


@required("billing.view_invoice")
def invoice_document(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("contact"), pk=pk)
    return render(request, "billing/invoice_document.html", invoice_context(invoice))
