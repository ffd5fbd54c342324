"""Catalogue admin: products and stored offers are edited here by managers.

Editing an offer in the admin changes it in place. Sales already made are safe (each invoice line
keeps a snapshot of product, price and terms); offer versioning for reps lives in the offer
screens, not here.
"""

from uuid import uuid4

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from core.forms import MoneyModelForm, form_changes
from offers.actions import save_catalogue_item
from offers.models import Offer, OfferLine, Product


class AuditedCatalogueAdmin(admin.ModelAdmin):
    """Saves through the audited action the catalogue screens use."""

    def save_model(self, request, obj, form, change: bool) -> None:
        save_catalogue_item(obj, changes=form_changes(form), actor=request.user)


@admin.register(Product)
class ProductAdmin(AuditedCatalogueAdmin):
    form = MoneyModelForm
    list_display = ["name", "sku", "price", "active", "delivery_email", "access"]
    list_filter = ["active", "access", "delivery_email", "price_currency"]
    search_fields = ["name", "sku"]


class OfferLineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        # One currency per offer: a sale refuses mixed currencies, so refuse them here first.
        currency = self.instance.currency
        for form in self.forms:
            if self._should_delete_form(form) or not (form.instance.pk or form.has_changed()):
                continue
            for name in ("unit_price", "discount"):
                value = form.cleaned_data.get(name)
                if value is not None and str(value.currency) != currency:
                    form.add_error(name, ValidationError(f"This offer is in {currency}."))


class OfferLineInline(admin.TabularInline):
    model = OfferLine
    form = MoneyModelForm
    formset = OfferLineFormSet
    fields = ["position", "product", "quantity", "unit_price", "discount", "terms"]
    autocomplete_fields = ["product"]
    extra = 0


@admin.register(Offer)
class OfferAdmin(AuditedCatalogueAdmin):
    list_display = ["name", "version", "currency", "archived", "created_at"]
    list_filter = ["archived", "currency", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["name", "=family"]
    readonly_fields = ["created_at"]
    inlines = [OfferLineInline]

    def get_changeform_initial_data(self, request):
        # A new offer starts a new family; later versions share it.
        return {"family": uuid4(), **super().get_changeform_initial_data(request)}
