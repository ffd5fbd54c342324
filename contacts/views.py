from django.contrib.auth.decorators import permission_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from billing.selectors import contact_balances, with_amounts
from contacts.models import Contact

PAGE = 50


@permission_required("contacts.view_contact", raise_exception=True)
def contact_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    contacts = Contact.objects.all()
    if q:
        contacts = contacts.filter(
            Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
            | Q(phone__icontains=q)
        )
    return render(request, "contacts/contact_list.html", {"contacts": contacts[:PAGE], "q": q})


@permission_required("contacts.view_contact", raise_exception=True)
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    invoices = with_amounts(contact.invoices.all())[:PAGE]
    return render(
        request,
        "contacts/contact_detail.html",
        {"contact": contact, "invoices": invoices, "balances": contact_balances(contact)},
    )
