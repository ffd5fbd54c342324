from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from contacts.actions import update_contact
from contacts.forms import ContactForm
from contacts.models import Contact
from contacts.selectors import search_contacts
from core.forms import form_changes
from core.htmx import form_data, form_status, render_screen
from core.pagination import keyset_page
from core.params import search_text
from core.roles import required


@required("contacts.view_contact")
def contact_list(request: HttpRequest) -> HttpResponse:
    q = search_text(request.GET.get("q"))
    contacts, cursor = keyset_page(search_contacts(q), "created_at", request.GET.get("after"))
    next_url = f"?{urlencode({'q': q, 'after': cursor})}" if cursor else None
    context = {"contacts": contacts, "q": q, "next_url": next_url}
    return render_screen(request, "contacts/contact_list.html", "results", context)


@required("contacts.add_contact")
def contact_create(request: HttpRequest) -> HttpResponse:
    form = ContactForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        changes = form_changes(form)
        return redirect(
            update_contact(form.save(commit=False), changes=changes, actor=request.user)
        )
    context = {"form": form, "title": "New contact"}
    return render(request, "contacts/contact_form.html", context, status=form_status(form))


@required("contacts.change_contact")
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    form = ContactForm(form_data(request), instance=contact)
    if request.method == "POST" and form.is_valid():
        changes = form_changes(form)
        return redirect(
            update_contact(form.save(commit=False), changes=changes, actor=request.user)
        )
    context = {"form": form, "title": f"Edit {contact.name}", "contact": contact}
    return render(request, "contacts/contact_form.html", context, status=form_status(form))
