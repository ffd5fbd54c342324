"""The rep's workspace: the contact record, whose panels show every app's side of one contact.
Money changes through the apps' action pages; this page only reads."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django_htmx.http import reswap, retarget

from contacts.models import Contact
from core.locales import request_locale
from core.roles import required
from desk.record import ContactRecord

# The contact record's panels: each is an inline partial whose name is its DOM id.
PANELS = ("contact-header", "approvals", "orders", "invoices", "commissions", "payments", "history")


@required("contacts.view_contact")
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("referred_by"), pk=pk)
    panel = request.GET.get("panel")
    if request.htmx and panel in PANELS:
        return render_panel(request, contact, panel)
    record = _record(request, contact)
    return render(request, "desk/contact_detail.html", _context(contact, record))


def render_panel(request: HttpRequest, contact: Contact, panel: str) -> HttpResponse:
    """One panel of the record, replacing its element whatever the request targeted."""
    record = _record(request, contact)
    response = render(request, f"desk/contact_detail.html#{panel}", _context(contact, record))
    return reswap(retarget(response, f"#{panel}"), "outerHTML")


def _record(request: HttpRequest, contact: Contact) -> ContactRecord:
    return ContactRecord(
        contact,
        before=request.GET.get("before"),
        history_before=request.GET.get("history_before"),
        locale=request_locale(request),
        # The user's billing permissions looked up once: the invoice rows ask about nine
        # of them each, and every `perms.` lookup goes through the auth backends again.
        can={
            perm.removeprefix("billing."): True
            for perm in request.user.get_all_permissions()
            if perm.startswith("billing.")
        },
    )


def _context(contact: Contact, record: ContactRecord) -> dict:
    return {
        "contact": contact,
        "record": record,
        "panel_url": reverse("desk:contact-detail", args=[contact.pk]),
    }
