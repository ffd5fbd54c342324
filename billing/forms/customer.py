"""The customer's forms: a card token from the card field (never a card number), and the
form's own key, so a double submit replays the first result."""

from django import forms

from billing.customer import token_shape
from core.forms import ActionForm


class CustomerCardForm(ActionForm):
    token = forms.CharField(
        max_length=255,
        validators=[token_shape],
        label="Card",
        error_messages={"required": "Enter your card."},
    )
