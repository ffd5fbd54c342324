"""The card capture field and the add-card form.

`CardSetupField` is the reusable piece: on any form, it renders the card capture widget
(templates/billing/_card_capture.html with static/card_capture.js), where the browser hands the
card to the processor (Stripe Elements, or the sandbox's stand-in), and it posts back only the
setup's id. The card number is typed into fields that have no name in Paydesk's form, so
neither a plain submit nor htmx ever sends it here.
"""

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.template.loader import render_to_string

from billing.gateways.base import CardSetup, GatewayError, GatewayTimeout
from core.forms import ActionForm

# Stripe's SetupIntent ids, and the sandbox's (seti_sbx_...).
SETUP_ID = RegexValidator(r"^seti_[A-Za-z0-9_]{1,200}$", "Enter the card again.")
ENTER_A_CARD = "Enter a card."
NO_CAPTURE = "The card form could not be opened ({error}). Try again in a moment."


class CardCapture(forms.Widget):
    """Renders the capture for a setup started when the form is shown (`start`), so a form
    that is posted and acts never starts one it does not show."""

    template_name = "billing/_card_capture.html"
    start: Callable[[], CardSetup] | None = None

    def render(self, name, value, attrs=None, renderer=None) -> str:
        setup, error = None, ""
        if self.start is not None:
            try:
                setup = self.start()
            except (GatewayError, GatewayTimeout) as exc:
                error = NO_CAPTURE.format(error=exc)
        context = {"name": name, "setup": setup, "error": error, "id": (attrs or {}).get("id")}
        # The project's template engine, not the form renderer's (which sees app templates only).
        return render_to_string(self.template_name, context)


class CardSetupField(forms.CharField):
    widget = CardCapture

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", "Card")
        kwargs.setdefault("error_messages", {"required": ENTER_A_CARD})
        super().__init__(max_length=255, validators=[SETUP_ID], **kwargs)


def start_with(form: forms.Form, start: Callable[[], CardSetup], name: str = "setup") -> None:
    """Give `form`'s card field the call that starts its setup (billing.steps.cards.start_capture
    bound to the contact)."""
    form.fields[name].widget.start = start


class CardForm(ActionForm):
    """The rep's add-card form on the contact record."""

    setup = CardSetupField()
    make_default = forms.BooleanField(required=False, initial=True, label="Make it the default")
    retry_collections = forms.BooleanField(required=False, label="Retry these now")

    def __init__(
        self, *args, start: Callable[[], CardSetup] | None = None, retries=None, **kwargs
    ) -> None:
        """`start` begins the card capture the form shows; `retries`: the open collections the
        new card would be charged for, shown to the rep; without any, there is nothing to
        choose."""
        super().__init__(*args, **kwargs)
        if start is not None:
            start_with(self, start)
        if retries:
            self.fields["retry_collections"].initial = settings.PAYDESK_DUNNING_RETRY_ON_CARD_UPDATE
            self.fields["retry_collections"].help_text = "Charge the new card at once for: " + (
                ", ".join(f"{number} ({due})" for number, due in retries)
            )
        else:
            del self.fields["retry_collections"]
