"""Dunning listens to billing's events; billing never imports dunning.

Receivers only enqueue (dunning.tasks): they run after the rep's change committed, so their
work must not be able to fail that request. A lost task is harmless: an invoice left without a
case, or a case left open on a settled invoice, is what the next sweep finds."""

from django.dispatch import receiver
from django_q.tasks import async_task

from billing import events
from billing.models import Invoice
from dunning.models import DunningCase
from dunning.selectors import cases_a_new_card_retries
from dunning.transitions import OPEN


@receiver(events.payment_failed)
def start_collecting(sender, payment, hard: bool = False, **kwargs) -> None:
    async_task("dunning.tasks.open_case_for", payment.invoice_id, payment.decline_code)


@receiver(events.payments_failed)
def start_collecting_many(sender, payments: list, **kwargs) -> None:
    """The dunning sweep's batch of declines: only an invoice without a case needs one opened
    (open_case_for would find the case and do nothing)."""
    invoice_ids = {payment.invoice_id for payment in payments}
    collected = set(
        DunningCase.objects.filter(invoice_id__in=invoice_ids).values_list("invoice_id", flat=True)
    )
    for payment in payments:
        if payment.invoice_id not in collected:
            async_task("dunning.tasks.open_case_for", payment.invoice_id, payment.decline_code)


@receiver(events.charge_skipped)
def start_collecting_unpaid(sender, invoice: Invoice, decline_code: str, **kwargs) -> None:
    async_task("dunning.tasks.open_case_for", invoice.pk, decline_code)


@receiver(events.invoice_paid)
def recovered(sender, invoice: Invoice, **kwargs) -> None:
    async_task(
        "dunning.tasks.end_case_for", invoice.pk, DunningCase.Status.RECOVERED, "invoice paid"
    )


@receiver(events.invoices_paid)
def recovered_many(sender, invoices: list[Invoice], **kwargs) -> None:
    """The renewal sweep's batch: only an invoice with an open case has one to end. A case
    cannot open on it later: open_case locks the invoice and finds it paid."""
    if not invoices:
        return
    collected = DunningCase.objects.filter(invoice__in=invoices, status__in=OPEN)
    for invoice_id in collected.values_list("invoice_id", flat=True):
        async_task(
            "dunning.tasks.end_case_for", invoice_id, DunningCase.Status.RECOVERED, "invoice paid"
        )


@receiver(events.invoice_voided)
def voided(sender, invoice: Invoice, **kwargs) -> None:
    async_task(
        "dunning.tasks.end_case_for", invoice.pk, DunningCase.Status.STOPPED, "invoice voided"
    )


@receiver(events.invoice_written_off)
def written_off(sender, invoice: Invoice, **kwargs) -> None:
    async_task(
        "dunning.tasks.end_case_for", invoice.pk, DunningCase.Status.STOPPED, "invoice written off"
    )


@receiver(events.card_added)
def card_updated(sender, payment_method, retry_collections: bool = False, **kwargs) -> None:
    """A new card retries the contact's open cases at once only when the rep chose so on the
    add-card form, which listed these same cases."""
    if not retry_collections:
        return
    for case in cases_a_new_card_retries(payment_method.contact_id):
        async_task("dunning.tasks.retry_with_card", case.pk, payment_method.pk)
