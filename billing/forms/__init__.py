"""Forms for the rep actions. They check the shape of the input; the actions decide the rules,
and an error they raise is shown at the field it names. Order forms: billing.forms.orders; the
card capture field and the add-card form: billing.forms.cards."""

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone

from billing.actions.invoices import DISCOUNT_TEXT
from billing.actions.sales import RECORD_METHODS
from billing.forms.cards import CardForm as CardForm
from billing.models import Order, Payment, PaymentMethod, Refund
from core.forms import ActionForm, AmountField, DayField, ReasonForm, reason_field

METHOD_CHOICES = [(m, Payment.Method(m).label) for m in RECORD_METHODS]


def local_datetime(day: dt.date | None) -> dt.datetime | None:
    """A date picked by the rep as the start of that day in their own time zone."""
    if day is None:
        return None
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return min(moment, timezone.now())


class RefundForm(ActionForm):
    amount = AmountField(required=False, help_text="Leave empty to refund everything left.")
    settle = forms.ChoiceField(choices=Refund.Settle.choices, initial=Refund.Settle.GATEWAY)
    reason = reason_field()


class DiscountForm(ActionForm):
    amount = AmountField(required=False)
    percent = forms.DecimalField(
        required=False, max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    description = forms.CharField(
        required=False,
        max_length=200,
        initial=DISCOUNT_TEXT,
        label="Text on the invoice",
        help_text="The customer reads this on the invoice; the reason below stays internal.",
    )
    reason = reason_field()


class MarkPaidForm(ActionForm):
    amount = AmountField(required=False, help_text="Leave empty for everything due.")
    method = forms.ChoiceField(choices=METHOD_CHOICES)
    reference = forms.CharField(required=False, max_length=200)
    paid_on = DayField(required=False, label="Paid on", future=False)
    reason = reason_field()


class CardChoiceForm(ActionForm):
    payment_method = forms.ModelChoiceField(
        queryset=PaymentMethod.objects.none(), label="Card", empty_label="Default card"
    )

    def __init__(self, *args, contact=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].queryset = contact.payment_methods.usable()


class RetryForm(CardChoiceForm):
    reason = reason_field(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].required = False


class SendForm(ActionForm):
    to = forms.CharField(
        required=False, max_length=254, label="Send to", help_text="Empty: the contact's email."
    )


class VoidForm(ReasonForm):
    """Void, and say what becomes of the order the invoice bills: it keeps billing unless the
    rep ends it in the same step."""

    cancel_order = forms.BooleanField(required=False, label="Also cancel the order")

    def __init__(
        self, *args, order=None, only_invoice: bool = False, can_cancel: bool = True, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        if order is None:
            del self.fields["cancel_order"]
            return
        field = self.fields["cancel_order"]
        field.initial = only_invoice and can_cancel
        field.disabled = not can_cancel
        next_on = (
            f": next charge on {order.next_charge_on:%d %b %Y}" if order.next_charge_on else ""
        )
        field.help_text = (
            f"Otherwise order #{order.pk} ({order.product}, "
            f"{order.get_status_display().lower()}) keeps billing{next_on}."
            + ("" if can_cancel else " Only a manager can cancel it.")
        )


class SaleForm(CardChoiceForm):
    currency = forms.ChoiceField(choices=[(c, c) for c in settings.CURRENCIES])
    event_name = forms.CharField(required=False, max_length=200, label="Event (if sold at one)")
    method = forms.ChoiceField(choices=METHOD_CHOICES, label="Paid by", required=False)
    reference = forms.CharField(required=False, max_length=200)
    paid_on = DayField(required=False, label="Paid on", future=False)
    collection_method = forms.ChoiceField(
        choices=[("", "Choose…"), *Order.CollectionMethod.choices],
        required=False,
        label="Later periods are paid by",
        help_text="For subscription and payment-plan lines: charge the card on file, or email "
        "an invoice the customer pays.",
    )
    reason = reason_field(required=False)
    offer_name = forms.CharField(required=False, max_length=200, label="Save as offer named")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].required = False
        self.fields["payment_method"].empty_label = "Default card"
