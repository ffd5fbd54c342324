"""What a customer may do on their own pages (a signed link, no login): pay an invoice with a
card and put a new card on file.

Both are the rep actions (`add_card`, `retry_invoice`) taken by the customer actor
(core.roles.customer_user), so every rule holds as it does for a rep: the charge goes through
billing.steps.charging outside any database transaction under an idempotency key, a paid
invoice ends its collection through billing.events, and each change writes its audit event
with the actor "Customer". These pages are open to anyone holding a link, so the number of
cards they may try is bounded per contact (card testing).
"""

import datetime as dt

from django.contrib.contenttypes.models import ContentType

from billing import errors
from billing.actions import add_card, retry_invoice
from billing.models import Invoice, Payment, PaymentMethod
from billing.selectors import amount_due
from contacts.models import Contact
from core import clock
from core.models import AuditEvent, IdempotencyKey
from core.roles import customer_user

# Cards a contact's pages may try in a window: enough for typos and a second card, too few for
# anyone testing stolen numbers against the gateway.
CARDS_PER_WINDOW = 5
WINDOW = dt.timedelta(hours=1)

TOO_MANY_CARDS = "Too many cards were tried on this account in the last hour. Try again later."
ALREADY_SETTLED = "This invoice has nothing left to pay."


class NothingToPay(errors.InvalidTransition):
    """Paid, void or written off meanwhile (often by the same customer's first submit)."""

    code = "nothing_to_pay"


PAID_REASON = "Paid by the customer on the invoice page"


def _within_card_bound(contact: Contact) -> None:
    tried = AuditEvent.objects.filter(
        action="card.added",
        actor=customer_user(),
        contact_id=contact.pk,
        subject_type=ContentType.objects.get_for_model(PaymentMethod),
        created_at__gte=clock.now() - WINDOW,
    )
    if tried.count() >= CARDS_PER_WINDOW:
        raise errors.NotAllowed(TOO_MANY_CARDS, field="setup")


def pay_invoice(invoice: Invoice, *, setup: str, attempt: str) -> Payment:
    """Charge the card the customer entered (`setup`: the card capture the browser confirmed
    with the processor) for everything due on the invoice. The card stays on file, not as the
    default: paying once does not change what later charges use.

    `attempt` is the form's own key: a double submit replays the first card and the first
    charge instead of making another; a later submit finds nothing due and is refused."""
    invoice.refresh_from_db(fields=["status"])
    if invoice.status != Invoice.Status.OPEN or amount_due(invoice).amount <= 0:
        raise NothingToPay(ALREADY_SETTLED)
    actor = customer_user()
    if not _replaying(f"customer:pay:{invoice.pk}:{attempt}"):
        _within_card_bound(invoice.contact)
    card = add_card(
        invoice.contact,
        setup=setup,
        actor=actor,
        make_default=False,
        idempotency_key=f"customer:pay-card:{invoice.pk}:{attempt}",
    )
    return retry_invoice(
        invoice,
        payment_method=card,
        actor=actor,
        reason=PAID_REASON,
        idempotency_key=f"customer:pay:{invoice.pk}:{attempt}",
    )


def update_card(contact: Contact, *, setup: str, attempt: str) -> PaymentMethod:
    """Put the customer's new card (`setup`, as for `pay_invoice`) on file as the default; the
    contact's open collections that retry on a card update are charged on it at once
    (dunning's card_added receiver)."""
    key = f"customer:card:{contact.pk}:{attempt}"
    if not _replaying(key):
        _within_card_bound(contact)
    return add_card(
        contact,
        setup=setup,
        actor=customer_user(),
        make_default=True,
        retry_collections=True,
        idempotency_key=key,
    )


def _replaying(key: str) -> bool:
    # A double submit is not another card tried: it replays the first.
    return IdempotencyKey.objects.filter(key=key).exists()
