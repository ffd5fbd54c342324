"""What every action form shares: money typed by a rep, a key that makes a double submit
harmless, and the reason kept in the record's history. Forms check the input's shape; the
actions decide the rules, and an ActionError they raise is shown at the field it names."""

import uuid

from django import forms

from core import money
from core.errors import REASON_REQUIRED, ActionError


class AmountField(forms.CharField):
    """Money typed by a rep, in the currency the form sets; refused, never rounded."""

    currency = "USD"

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return money.parse(value, self.currency)
        except money.MoneyError as exc:
            raise forms.ValidationError(str(exc)) from None


class ActionForm(forms.Form):
    # A fresh key per rendered form: a double submit replays the first result.
    key = forms.CharField(
        widget=forms.HiddenInput, required=False, initial=lambda: uuid.uuid4().hex
    )

    def __init__(self, *args, currency: str = "USD", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, AmountField):
                field.currency = currency
                field.widget.attrs.setdefault("inputmode", "decimal")

    def clean_key(self) -> str | None:
        return self.cleaned_data["key"] or None

    def add_action_error(self, exc: ActionError) -> None:
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


def reason_field(required: bool = True) -> forms.CharField:
    return forms.CharField(
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": REASON_REQUIRED},
        help_text="Kept in the record's history." if required else "",
    )


class ReasonForm(ActionForm):
    reason = reason_field()
