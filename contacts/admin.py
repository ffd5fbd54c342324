from django.contrib import admin

from contacts.models import Contact, Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "default_rate", "parent", "second_tier_rate", "active"]
    list_select_related = ["parent"]
    list_filter = ["active"]
    search_fields = ["name", "email"]
    autocomplete_fields = ["parent"]


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

    @admin.display(ordering="last_name")
    def name(self, contact: Contact) -> str:
        return contact.name
