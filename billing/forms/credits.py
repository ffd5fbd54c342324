"""The form of paying a contact's credit back out."""

from core.forms import ActionForm, AmountField, reason_field


class CreditRefundForm(ActionForm):
    amount = AmountField(required=False, help_text="Leave empty to refund all the credit.")
    reason = reason_field()
