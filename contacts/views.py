from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_htmx.http import reswap, retarget

from contacts.forms import ContactForm
from contacts.models import Contact
from contacts.selectors import ContactRecord, keyset_page, search_contacts
from core.htmx import form_data, form_status, render_screen

# The contact record's panels: each is an inline partial whose name is its DOM id.
PANELS = ("contact-header", "orders", "invoices", "commissions", "payments", "history")


@permission_required("contacts.view_contact", raise_exception=True)
def contact_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    contacts, cursor = keyset_page(search_contacts(q), "created_at", request.GET.get("after"))
    next_url = f"?{urlencode({'q': q, 'after': cursor})}" if cursor else None
    context = {"contacts": contacts, "q": q, "next_url": next_url}
    return render_screen(request, "contacts/contact_list.html", "results", context)


@permission_required("contacts.add_contact", raise_exception=True)
def contact_create(request: HttpRequest) -> HttpResponse:
    form = ContactForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        return redirect(form.save())
    context = {"form": form, "title": "New contact"}
    return render(request, "contacts/contact_form.html", context, status=form_status(form))


@permission_required("contacts.change_contact", raise_exception=True)
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    form = ContactForm(form_data(request), instance=contact)
    if request.method == "POST" and form.is_valid():
        return redirect(form.save())
    context = {"form": form, "title": f"Edit {contact.name}", "contact": contact}
    return render(request, "contacts/contact_form.html", context, status=form_status(form))


@permission_required("contacts.view_contact", raise_exception=True)
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("referred_by"), pk=pk)
    panel = request.GET.get("panel")
    if request.htmx and panel in PANELS:
        return render_panel(request, contact, panel)
    record = ContactRecord(contact, before=request.GET.get("before"))
    return render(request, "contacts/contact_detail.html", _context(contact, record))


def render_panel(request: HttpRequest, contact: Contact, panel: str) -> HttpResponse:
    """One panel of the record, replacing its element whatever the request targeted."""
    record = ContactRecord(contact, before=request.GET.get("before"))
    response = render(request, f"contacts/contact_detail.html#{panel}", _context(contact, record))
    return reswap(retarget(response, f"#{panel}"), "outerHTML")


def _context(contact: Contact, record: ContactRecord) -> dict:
    return {
        "contact": contact,
        "record": record,
        "locale": contact.locale,
        "panel_url": reverse("contacts:contact-detail", args=[contact.pk]),
    }
