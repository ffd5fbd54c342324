"""Forms for the catalogue, and how an offer is stored: a new version per edit, never rewritten,
so whatever was sold from the old version keeps the lines it was sold with."""

import uuid

from django import forms
from django.conf import settings
from django.db import transaction

from billing.lines import SaleLine
from offers.models import Coupon, Offer, OfferLine, Product


class OfferForm(forms.Form):
    name = forms.CharField(max_length=200)
    currency = forms.ChoiceField(choices=[(c, c) for c in settings.CURRENCIES])


def store_offer(name: str, currency: str, lines: list[SaleLine], *, replaces=None) -> Offer:
    """Save sale lines as an offer; with `replaces`, as its next version (the old is archived)."""
    with transaction.atomic():
        if replaces is not None:
            # Lock the family's newest row so two editors cannot both create version N+1.
            old = Offer.objects.select_for_update().get(pk=replaces.pk)
            family = old.family
            version = Offer.objects.filter(family=family).order_by("-version")[0].version + 1
            Offer.objects.filter(family=family, archived=False).update(archived=True)
        else:
            family, version = uuid.uuid4(), 1
        offer = Offer.objects.create(family=family, version=version, name=name, currency=currency)
        OfferLine.objects.bulk_create(
            OfferLine(
                offer=offer,
                product=line.product,
                quantity=line.quantity,
                unit_price=line.price,
                discount=line.discount,
                terms=line.payment_terms.to_json(),
                position=position,
            )
            for position, line in enumerate(lines)
        )
    return offer


class ProductForm(forms.ModelForm):
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


class CouponForm(forms.ModelForm):
    class Meta:
        model = Coupon
        fields = ["code", "percent_off", "amount_off", "duration", "charges", "valid_until"]
        widgets = {"valid_until": forms.DateInput(attrs={"type": "date"})}

    def clean(self) -> dict:
        data = super().clean()
        if (data.get("percent_off") is None) == (not data.get("amount_off")):
            raise forms.ValidationError("Give either a percent or an amount off.")
        return data
