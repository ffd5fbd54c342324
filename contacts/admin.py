from django import forms
from django.contrib import admin

from contacts.actions import update_contact, update_partner
from contacts.forms import ContactForm
from contacts.models import Contact, Partner
from core.forms import BoundedForm, form_changes


class PartnerForm(BoundedForm, forms.ModelForm):
    class Meta:
        model = Partner
        fields = ["name", "email", "default_rate", "parent", "second_tier_rate", "active"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "default_rate", "parent", "second_tier_rate", "active"]
    list_select_related = ["parent"]
    list_filter = ["active"]
    search_fields = ["name", "email"]
    autocomplete_fields = ["parent"]
    form = PartnerForm

    def save_model(self, request, obj: Partner, form, change: bool) -> None:
        # Rates decide what a partner earns: the admin saves through the audited action.
        update_partner(obj, changes=form_changes(form), actor=request.user)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Contact details only. Cards, invoices and balances live on the contact record page
    ("View on site"), where every change goes through the billing actions."""

    list_display = ["name", "email", "phone", "company", "currency", "referred_by", "created_at"]
    list_select_related = ["referred_by"]
    list_filter = ["currency", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["first_name", "last_name", "email", "phone", "company"]
    autocomplete_fields = ["referred_by"]
    readonly_fields = ["gateway_customer", "created_at"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    form = ContactForm

    def save_model(self, request, obj: Contact, form, change: bool) -> None:
        # The record page's action, so an admin edit is audited alike.
        update_contact(obj, changes=form_changes(form), actor=request.user)

    @admin.display(ordering="last_name")
    def name(self, contact: Contact) -> str:
        return contact.name
