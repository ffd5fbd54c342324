"""Forms for the open-order actions (re-price, reschedule, pause, resume, cancel, discount,
change card) and the commission actions. Shape only: the order actions decide the rules."""

from django import forms
from django.conf import settings

from billing.forms import CardChoiceForm
from billing.steps.inputs import MAX_DISCOUNTED_CHARGES
from core.forms import ActionForm, AmountField, DayField, reason_field


class OrderTermsForm(ActionForm):
    unit_price = AmountField(required=False, label="New unit price", help_text="Empty: keep it.")
    quantity = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=settings.PAYDESK_MAX_QUANTITY,
        label="New quantity",
        help_text="Empty: keep it.",
    )
    effective = forms.ChoiceField(
        choices=[("next_charge", "From the next charge"), ("now", "Now")],
        initial="next_charge",
        widget=forms.RadioSelect,
    )
    prorate = forms.BooleanField(
        required=False, label="Prorate the current period (only when effective now)"
    )
    reason = reason_field()


class RescheduleForm(ActionForm):
    next_charge_on = DayField(label="Next charge on")
    move_anchor = forms.BooleanField(
        required=False, initial=True, label="Move all later charges too"
    )
    reason = reason_field()


class PauseOrderForm(ActionForm):
    resume_on = DayField(
        required=False, label="Resume on", help_text="Empty: until resumed by hand."
    )
    reason = reason_field()


class ResumeOrderForm(ActionForm):
    next_charge_on = DayField(
        required=False,
        label="Next charge on",
        help_text="Empty: the old charge date if still ahead, else today.",
    )
    reason = reason_field(required=False)


class CancelOrderForm(ActionForm):
    at = forms.ChoiceField(
        choices=[("end_of_term", "At the end of the paid term"), ("now", "Now")],
        initial="end_of_term",
        widget=forms.RadioSelect,
        label="Cancel",
    )
    refund_unused = forms.BooleanField(
        required=False, label="Refund the unused part of the current period (only now)"
    )
    reason = reason_field()


class OrderDiscountForm(ActionForm):
    amount = AmountField(required=False, help_text="Off each discounted charge.")
    percent = forms.DecimalField(
        required=False, max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    charges = forms.IntegerField(
        min_value=1, max_value=MAX_DISCOUNTED_CHARGES, initial=1, label="For the next N charges"
    )
    reason = reason_field()


class OrderCardForm(CardChoiceForm):
    retry_now = forms.BooleanField(
        required=False, initial=True, label="Charge the order's unpaid invoices on it now"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].empty_label = None


class CommissionRerunForm(ActionForm):
    reason = reason_field(required=False)


class CommissionPayForm(ActionForm):
    reference = forms.CharField(
        required=False, max_length=200, help_text="Bank transfer or payout reference."
    )
