"""What every action form shares: money typed by a rep, a key that makes a double submit
harmless, and the reason kept in the record's history. Forms check the input's shape; the
actions decide the rules, and an ActionError they raise is shown at the field it names.

Every form that takes typed input is a `BoundedForm`: its free text refuses card numbers and has
a length, its whole numbers a range, so malformed input is a field error, never a 500."""

import uuid

from django import forms
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.utils import timezone
from djmoney.money import Money

from core import clock, money
from core.errors import REASON_REQUIRED, ActionError
from core.validators import REASON_MAX_LENGTH, TEXT_MAX_LENGTH, refuse_card_numbers

# The largest value of a PostgreSQL integer column: the bound of a number with no smaller one.
INT_MAX = 2**31 - 1


# A day typed for a charge, a pause or a payment lies at most this many years ahead (further is
# a typo), and at most a century back (past that, time-zone arithmetic overflows).
MAX_YEARS_AHEAD = 5
MAX_YEARS_BACK = 100


class DayField(forms.DateField):
    """A day picked by the rep, at most MAX_YEARS_AHEAD from today; `future=False` for a day
    something already happened ("paid on")."""

    widget = forms.DateInput(attrs={"type": "date"})

    def __init__(self, *, future: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.future = future

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        today = timezone.localdate(clock.now())
        if not self.future and value > today:
            raise forms.ValidationError("This day is in the future: enter the day it happened.")
        if (value - today).days > MAX_YEARS_AHEAD * 366:
            raise forms.ValidationError(f"Enter a day within {MAX_YEARS_AHEAD} years from today.")
        if (today - value).days > MAX_YEARS_BACK * 366:
            raise forms.ValidationError("Enter a day in this century.")


NEGATIVE_AMOUNT = "Enter an amount of zero or more."


class AmountField(forms.CharField):
    """Money typed by a rep, in the currency the form sets; refused, never rounded."""

    currency = "USD"

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            amount = money.within_ceiling(money.parse(value, self.currency))
        except money.MoneyError as exc:
            raise forms.ValidationError(str(exc)) from None
        if amount.amount < 0:
            # No field takes a negative amount: a discount or refund is typed as what it takes off.
            raise forms.ValidationError(NEGATIVE_AMOUNT)
        return amount


def bound_fields(form: forms.BaseForm) -> None:
    """Refuse card numbers in every free-text field (no form takes one: cards are typed into
    the processor's own fields), and bound every text and whole number the field itself leaves
    open."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField) and not isinstance(field, AmountField):
            if refuse_card_numbers not in field.validators:
                field.validators.append(refuse_card_numbers)
            if field.max_length is None:
                field.max_length = TEXT_MAX_LENGTH
                field.validators.append(MaxLengthValidator(TEXT_MAX_LENGTH))
        elif isinstance(field, forms.IntegerField) and field.max_value is None:
            field.max_value = INT_MAX
            field.validators.append(MaxValueValidator(INT_MAX))


class BoundedForm:
    """Mixin for forms and model forms: `bound_fields` on every instance."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bound_fields(self)


class ActionForm(BoundedForm, forms.Form):
    # A fresh key per rendered form: a double submit replays the first result.
    key = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, initial=lambda: uuid.uuid4().hex
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


class MoneyModelForm(BoundedForm, forms.ModelForm):
    """Refuse amounts with more decimals than their currency has (1.5 JPY, 10.005 USD), above
    the ceiling, or below zero; and free text like every other form (BoundedForm)."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, Money):
                try:
                    cleaned[name] = money.within_ceiling(value)
                except money.MoneyError as exc:
                    self.add_error(name, str(exc))
                    continue
                if value.amount < 0:
                    self.add_error(name, "Amounts cannot be negative.")
        return cleaned


def reason_field(required: bool = True) -> forms.CharField:
    return forms.CharField(
        required=required,
        max_length=REASON_MAX_LENGTH,
        validators=[refuse_card_numbers],
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": REASON_REQUIRED},
        help_text="Kept in the record's history." if required else "",
    )


class ReasonForm(ActionForm):
    reason = reason_field()


def form_changes(form: forms.ModelForm) -> dict:
    """The fields a model form changed, each with its old value (None on a new row): what an
    action's audit event records as "before"."""
    if form.instance.pk is None:
        return dict.fromkeys(form.changed_data)
    return {k: form.initial.get(k) for k in form.changed_data}
