"""The customer's card form: the card capture widget (the card goes from the browser to the
processor; this form gets the setup id only) and the form's own key, so a double submit
replays the first result."""

from collections.abc import Callable

from billing.forms.cards import CardSetupField, start_with
from billing.gateways.base import CardSetup
from core.forms import ActionForm


class CustomerCardForm(ActionForm):
    setup = CardSetupField(label="Your card")

    def __init__(self, *args, start: Callable[[], CardSetup] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if start is not None:
            start_with(self, start)
