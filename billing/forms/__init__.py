"""Forms for the rep actions. They check the shape of the input; the actions decide the rules,
and a BillingError they raise is shown at the field it names. Order forms: billing.forms.orders."""

import datetime as dt
import uuid

from django import forms
from django.conf import settings
from django.utils import timezone

from billing import errors
from billing.actions.sales import RECORD_METHODS
from billing.gateways.sandbox import TEST_CARDS
from billing.lines import SaleLine
from billing.models import Payment, PaymentMethod, Refund
from core import money
from offers.models import Product
from offers.terms import UNITS, PaymentTerms

METHOD_CHOICES = [(m, Payment.Method(m).label) for m in RECORD_METHODS]


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


def local_datetime(day: dt.date | None) -> dt.datetime | None:
    """A date picked by the rep as the start of that day in their own time zone."""
    if day is None:
        return None
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return min(moment, timezone.now())


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

    def add_billing_error(self, exc: errors.BillingError) -> None:
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


def _reason(required: bool = True) -> forms.CharField:
    return forms.CharField(
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": errors.REASON_REQUIRED},
        help_text="Kept in the record's history." if required else "",
    )


class ReasonForm(ActionForm):
    reason = _reason()


class RefundForm(ActionForm):
    amount = AmountField(required=False, help_text="Leave empty to refund everything left.")
    settle = forms.ChoiceField(choices=Refund.Settle.choices, initial=Refund.Settle.GATEWAY)
    reason = _reason()


class DiscountForm(ActionForm):
    amount = AmountField(required=False)
    percent = forms.DecimalField(required=False, max_digits=5, decimal_places=2, min_value=0)
    reason = _reason()


class MarkPaidForm(ActionForm):
    amount = AmountField(required=False, help_text="Leave empty for everything due.")
    method = forms.ChoiceField(choices=METHOD_CHOICES)
    reference = forms.CharField(required=False, max_length=200)
    paid_on = forms.DateField(
        required=False, label="Paid on", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = _reason()


class CardChoiceForm(ActionForm):
    payment_method = forms.ModelChoiceField(
        queryset=PaymentMethod.objects.none(), label="Card", empty_label="Default card"
    )

    def __init__(self, *args, contact=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].queryset = contact.payment_methods.filter(active=True)


class RetryForm(CardChoiceForm):
    reason = _reason(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].required = False


class SendForm(ActionForm):
    to = forms.CharField(required=False, label="Send to", help_text="Empty: the contact's email.")


TOKEN_CHOICES = [("", "Type a test card number instead")] + [(t, t) for t in TEST_CARDS]


class CardForm(ActionForm):
    """The sandbox's test-card form. The number is turned into a token by the view and then
    dropped: it is never saved, logged or echoed back (widget renders empty)."""

    number = forms.CharField(
        required=False,
        label="Card number",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="Sandbox: a published test number such as 4242 4242 4242 4242.",
    )
    token = forms.ChoiceField(required=False, choices=TOKEN_CHOICES, label="Or a test token")
    make_default = forms.BooleanField(required=False, initial=True, label="Make it the default")

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("number")) == bool(data.get("token")):
            self.add_error("number", "Enter a test card number or pick a test token.")
        return data


TERMS = [
    ("one_time", "One-time"),
    ("subscription", "Subscription"),
    ("payment_plan", "Payment plan"),
]
UNIT_CHOICES = [(u, u) for u in UNITS]


class LineForm(forms.Form):
    """One row of the sale grid (also used for offers and replacement invoices)."""

    product = forms.ModelChoiceField(queryset=Product.objects.filter(active=True), required=False)
    quantity = forms.IntegerField(min_value=1, initial=1)
    unit_price = AmountField(required=False, help_text="Empty: the product's price.")
    discount = AmountField(required=False)
    terms = forms.ChoiceField(choices=TERMS, initial="one_time")
    every = forms.IntegerField(min_value=1, initial=1, required=False)
    unit = forms.ChoiceField(choices=UNIT_CHOICES, initial="month")
    trial_days = forms.IntegerField(min_value=0, initial=0, required=False)
    trial_price = AmountField(required=False)
    paid_now = AmountField(required=False, label="Paid now (plan)")
    installments = forms.IntegerField(min_value=1, required=False)

    # Action error fields that have another name here.
    ALIASES = {"initial": "paid_now"}

    def __init__(self, *args, currency: str = "USD", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        for field in self.fields.values():
            if isinstance(field, AmountField):
                field.currency = currency
                field.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self) -> dict:
        data = super().clean()
        product = data.get("product")
        if product is None:
            return data
        if data.get("unit_price") is None and str(product.price.currency) != self.currency:
            self.add_error(
                "unit_price", f"{product} is priced in {product.price.currency}: enter a price."
            )
        try:
            data["payment_terms"] = self._terms(data)
        except ValueError as exc:
            self.add_error("terms", str(exc))
        return data

    def _terms(self, data: dict) -> PaymentTerms:
        every, unit = data.get("every") or 1, data.get("unit") or "month"
        if data["terms"] == "subscription":
            return PaymentTerms.subscription(
                every, unit, data.get("trial_days") or 0, data.get("trial_price")
            )
        if data["terms"] == "payment_plan":
            return PaymentTerms(
                "payment_plan",
                every,
                unit,
                initial=data.get("paid_now"),
                installments=data.get("installments") or 0,
            )
        return PaymentTerms.one_time()

    def sale_line(self) -> SaleLine | None:
        data = self.cleaned_data
        if not data.get("product"):
            return None
        terms = data["payment_terms"]
        return SaleLine(
            data["product"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            discount=data["discount"],
            terms=None if terms.kind == "one_time" else terms,
        )

    def add_billing_error(self, exc: errors.BillingError) -> bool:
        field = self.ALIASES.get(exc.field, exc.field)
        if field in self.fields:
            self.add_error(field, exc.message)
            return True
        return False


class BaseLineFormSet(forms.BaseFormSet):
    def sale_lines(self) -> list[SaleLine]:
        return [line for form in self.forms if (line := form.sale_line()) is not None]

    def add_billing_error(self, exc: errors.BillingError) -> bool:
        """Show an action's line error on the first line it can belong to."""
        filled = [f for f in self.forms if f.cleaned_data.get("product")]
        if exc.field == "terms":
            filled = [f for f in filled if f.cleaned_data["terms"] != "one_time"] or filled
        return any(form.add_billing_error(exc) for form in filled[:1])


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=2)


def _typed(amount) -> str:
    """An amount as a rep would type it: the currency's own decimals (90.00, 1500 JPY)."""
    return str(money.validate(amount).amount) if amount is not None else ""


def line_initial(lines: list[SaleLine]) -> list[dict]:
    """Grid rows for stored lines (an offer's, or an invoice being replaced)."""
    rows = []
    for line in lines:
        terms = line.payment_terms
        rows.append(
            {
                "product": line.product.pk,
                "quantity": line.quantity,
                "unit_price": _typed(line.price),
                "discount": _typed(line.discount),
                "terms": terms.kind,
                "every": terms.every,
                "unit": terms.unit,
                "trial_days": terms.trial_days,
                "trial_price": _typed(terms.trial_price),
                "paid_now": _typed(terms.initial),
                "installments": terms.installments or "",
            }
        )
    return rows


class SaleForm(CardChoiceForm):
    currency = forms.ChoiceField(choices=[(c, c) for c in settings.CURRENCIES])
    event_name = forms.CharField(required=False, max_length=200, label="Event (if sold at one)")
    method = forms.ChoiceField(choices=METHOD_CHOICES, label="Paid by", required=False)
    reference = forms.CharField(required=False, max_length=200)
    paid_on = forms.DateField(
        required=False, label="Paid on", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = _reason(required=False)
    offer_name = forms.CharField(required=False, max_length=200, label="Save as offer named")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].required = False
        self.fields["payment_method"].empty_label = "Default card"
