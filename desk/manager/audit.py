"""Every audit event across the system, filtered, each naming what it touched."""

import datetime as dt

from django import forms
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from billing.models import Invoice, Order, Payment, Refund
from contacts.models import Contact
from core.forms import INT_MAX, BoundedForm, DayField
from core.models import AuditEvent
from core.widgets import QuickSelect
from desk.manager.history import day_start
from desk.presenters import LABELS, actor_name


class AuditFilter(BoundedForm, forms.Form):
    actor = forms.ModelChoiceField(
        queryset=User.objects.order_by("username"),
        required=False,
        empty_label="Anyone",
        widget=QuickSelect,
    )
    action = forms.CharField(
        required=False,
        max_length=64,
        help_text='An action ("invoice.voided") or a family of them ("invoice").',
    )
    contact = forms.IntegerField(required=False, min_value=1, max_value=INT_MAX)
    invoice = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=INT_MAX,
        help_text="Its number without INV-: the invoice, its payments and their refunds.",
    )
    order = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=INT_MAX,
        help_text="The order and its invoices.",
    )
    start = DayField(required=False, label="From")
    end = DayField(required=False, label="To")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "Enter a day on or after the first day.")
        return cleaned


def _about(model, ids) -> Q:
    return Q(subject_type=ContentType.objects.get_for_model(model), subject_id__in=ids)


def events(f: dict) -> QuerySet:
    """The audit events a valid AuditFilter's cleaned data selects."""
    qs = AuditEvent.objects.all()
    if f.get("actor"):
        qs = qs.filter(actor=f["actor"])
    if action := f.get("action"):
        qs = qs.filter(action=action) if "." in action else qs.filter(action__startswith=action)
    if f.get("contact"):
        qs = qs.filter(contact_id=f["contact"])
    if f.get("invoice"):
        payments = Payment.objects.filter(invoice_id=f["invoice"]).values("pk")
        refunds = Refund.objects.filter(payment__invoice_id=f["invoice"]).values("pk")
        qs = qs.filter(
            _about(Invoice, [f["invoice"]]) | _about(Payment, payments) | _about(Refund, refunds)
        )
    if f.get("order"):
        invoices = Invoice.objects.filter(order_id=f["order"]).values("pk")
        qs = qs.filter(_about(Order, [f["order"]]) | _about(Invoice, invoices))
    if f.get("start"):
        qs = qs.filter(created_at__gte=day_start(f["start"]))
    if f.get("end"):
        qs = qs.filter(created_at__lt=day_start(f["end"] + dt.timedelta(days=1)))
    return qs.select_related("actor", "subject_type")


def touched(event: AuditEvent) -> str:
    """What the event is about, from its type and id alone (no query per row)."""
    model = event.subject_type.model
    if model == "invoice":
        return f"Invoice INV-{event.subject_id:06d}"
    return f"{event.subject_type.name.capitalize()} #{event.subject_id}"


def present(page: list[AuditEvent]) -> list[AuditEvent]:
    """The page's events with their label, actor, subject and contact, in one more query."""
    contacts = Contact.objects.in_bulk({e.contact_id for e in page if e.contact_id})
    for event in page:
        event.label = (
            LABELS.get(event.action)
            or event.action.replace(".", " ").replace("_", " ").capitalize()
        )
        event.actor_name = actor_name(event.actor)
        event.touched = touched(event)
        event.contact = contacts.get(event.contact_id)
    return page
