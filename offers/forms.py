"""Forms for the catalogue, and the sale-line grid (the rows of a sale, an offer or a
replacement invoice). Storing an offer is an action: offers.actions.store_offer."""

import contextlib
import dataclasses

from django import forms
from django.conf import settings

from core import money
from core.errors import ActionError
from core.forms import INT_MAX, AmountField, BoundedForm, MoneyModelForm
from offers.lines import SaleLine
from offers.models import OfferLine, Product
from offers.terms import MAX_EVERY, MAX_INSTALLMENTS, MAX_TRIAL_DAYS, UNITS, PaymentTerms


class OfferForm(BoundedForm, forms.Form):
    name = forms.CharField(max_length=200)
    currency = forms.ChoiceField(choices=[(c, c) for c in settings.CURRENCIES])


class ProductForm(MoneyModelForm):
    class Meta:
        model = Product
        fields = [
            "name",
            "sku",
            "description",
            "price",
            "delivery_email",
            "download_url",
            "access",
            "access_days",
            "revoke_on_refund",
            "commission_rate",
        ]


TERMS = [
    ("one_time", "One-time"),
    ("subscription", "Subscription"),
    ("payment_plan", "Payment plan"),
]
UNIT_CHOICES = [(u, u) for u in UNITS]


class LineForm(BoundedForm, forms.Form):
    """One row of the sale grid (also used for offers and replacement invoices)."""

    product = forms.ModelChoiceField(queryset=Product.objects.filter(active=True), required=False)
    quantity = forms.IntegerField(min_value=1, max_value=settings.PAYDESK_MAX_QUANTITY, initial=1)
    unit_price = AmountField(required=False, help_text="Empty: the product's price.")
    discount = AmountField(required=False)
    terms = forms.ChoiceField(choices=TERMS, initial="one_time")
    every = forms.IntegerField(
        min_value=1, max_value=max(MAX_EVERY.values()), initial=1, required=False
    )
    unit = forms.ChoiceField(choices=UNIT_CHOICES, initial="month")
    trial_days = forms.IntegerField(
        min_value=0, max_value=MAX_TRIAL_DAYS, initial=0, required=False
    )
    trial_price = AmountField(required=False)
    paid_now = AmountField(required=False, label="Paid now (plan)")
    installments = forms.IntegerField(min_value=1, max_value=MAX_INSTALLMENTS, required=False)
    # The stored offer the row was loaded from (BaseLineFormSet.sale_lines checks it).
    offer = forms.IntegerField(
        required=False, min_value=1, max_value=INT_MAX, widget=forms.HiddenInput
    )

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
        typed_price = data.get("unit_price") is not None or "unit_price" in self.errors
        if not typed_price and str(product.price.currency) != self.currency:
            self.add_error(
                "unit_price", f"{product} is priced in {product.price.currency}: enter a price."
            )
        if self.errors:
            return data  # the terms are built from clean fields only (a missing one is an error)
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

    def add_action_error(self, exc: ActionError) -> bool:
        field = self.ALIASES.get(exc.field, exc.field)
        if field in self.fields:
            self.add_error(field, exc.message)
            return True
        return False


class BaseLineFormSet(forms.BaseFormSet):
    adding = False  # "Add a line" was pressed: show the grid again, act on nothing

    def kept_forms(self) -> list[LineForm]:
        """The rows not marked "Remove" (once the grid is validated)."""
        return [form for form in self.forms if not self._should_delete_form(form)]

    def sale_lines(self) -> list[SaleLine]:
        kept = [
            (form, line) for form in self.kept_forms() if (line := form.sale_line()) is not None
        ]
        asked = {form.cleaned_data.get("offer") for form, _ in kept} - {None}
        # A row stays sold from its offer only while its product is one of the offer's: a rep
        # who picks another product in that row has typed a line of their own. One query.
        offered = {
            (line.offer_id, line.product_id): line.offer
            for line in OfferLine.objects.filter(offer_id__in=asked).select_related("offer")
        }
        return [
            dataclasses.replace(
                line, offer=offered.get((form.cleaned_data.get("offer"), line.product.pk))
            )
            for form, line in kept
        ]

    def add_action_error(self, exc: ActionError) -> bool:
        """Show an action's line error on the first line it can belong to."""
        filled = [f for f in self.kept_forms() if f.cleaned_data.get("product")]
        if exc.field == "terms":
            filled = [f for f in filled if f.cleaned_data["terms"] != "one_time"] or filled
        return any(form.add_action_error(exc) for form in filled[:1])


# A sale has at most 50 lines: the management form's count is the client's to forge.
MAX_LINES = 50
LineFormSet = forms.formset_factory(
    LineForm,
    formset=BaseLineFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES,
)
ADD_LINE = "add_line"  # the grid's "Add a line" button (without JavaScript)


def line_formset(data, *, initial: list[dict], currency: str) -> BaseLineFormSet:
    """The sale grid bound to `data`; after "Add a line" it has one more empty row."""
    adding = data is not None and data.get("intent") == ADD_LINE
    if adding:
        data = data.copy()
        key = "lines-TOTAL_FORMS"
        # A broken count stays as it is: the formset reports a broken management form itself.
        with contextlib.suppress(ValueError):
            count = int(data.get(key, ""))
            if count < MAX_LINES:
                data[key] = str(count + 1)
                data.update(_blank_row(count, currency))
    lines = LineFormSet(data, initial=initial, prefix="lines", form_kwargs={"currency": currency})
    lines.adding = adding
    return lines


def _blank_row(index: int, currency: str) -> dict[str, str]:
    """A new row's defaults as if posted, so it reads as untouched rather than as missing
    its required quantity and terms."""
    form = LineForm(currency=currency)
    return {
        f"lines-{index}-{name}": str(value)
        for name, field in form.fields.items()
        if (value := form.get_initial_for_field(field, name)) is not None
    }


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
                "offer": line.offer.pk if line.offer is not None else "",
            }
        )
    return rows
