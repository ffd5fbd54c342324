"""Dunning listens to billing's events; billing never imports dunning."""

from django.conf import settings
from django.dispatch import receiver
from django_q.tasks import async_task

from billing import events
from billing.models import Invoice
from dunning.cases import end_case, open_case
from dunning.models import DunningCase


@receiver(events.payment_failed)
def start_collecting(sender, payment, hard: bool = False, **kwargs) -> None:
    open_case(payment, hard=hard)


@receiver(events.invoice_paid)
def recovered(sender, invoice: Invoice, **kwargs) -> None:
    end_case(invoice, status=DunningCase.Status.RECOVERED, why="invoice paid")


@receiver(events.invoice_voided)
def voided(sender, invoice: Invoice, **kwargs) -> None:
    end_case(invoice, status=DunningCase.Status.STOPPED, why="invoice voided")


@receiver(events.invoice_written_off)
def written_off(sender, invoice: Invoice, **kwargs) -> None:
    end_case(invoice, status=DunningCase.Status.STOPPED, why="invoice written off")


@receiver(events.card_added)
def card_updated(sender, payment_method, **kwargs) -> None:
    """A new or re-pointed card retries the contact's open cases at once (if the policy says)."""
    if not settings.PAYDESK_DUNNING_RETRY_ON_CARD_UPDATE:
        return
    cases = DunningCase.objects.filter(
        contact_id=payment_method.contact_id,
        status=DunningCase.Status.ACTIVE,
        policy__retry_on_card_update=True,
    )
    for case_id in cases.values_list("pk", flat=True):
        async_task("dunning.tasks.retry_with_card", case_id, payment_method.pk)
