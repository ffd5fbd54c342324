"""Open orders, their change history, commissions and fulfilment: view-only, like every money
record; they change through billing.actions."""

from django.contrib import admin

from billing.models import AccessGrant, Commission, Delivery, Order, OrderChange
from core.admin import ViewOnlyAdmin, ViewOnlyInline


class OrderChangeInline(ViewOnlyInline):
    model = OrderChange
    fields = ["created_at", "kind", "before", "after", "effective_on", "actor", "reason"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ViewOnlyAdmin):
    list_display = [
        "pk",
        "contact",
        "product",
        "kind",
        "status",
        "unit_price",
        "quantity",
        "next_charge_on",
        "payment_method",
    ]
    list_filter = ["status", "kind", "currency", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["contact", "product", "payment_method"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__email", "product__name"]
    inlines = [OrderChangeInline]


@admin.register(OrderChange)
class OrderChangeAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "order", "kind", "effective_on", "actor", "reason"]
    list_filter = ["kind"]
    list_select_related = ["order__product", "order__contact", "actor"]
    search_fields = ["reason", "order__contact__email"]


@admin.register(Commission)
class CommissionAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "partner", "invoice", "tier", "kind", "amount", "status"]
    list_filter = ["status", "kind", "tier"]
    list_select_related = ["partner", "invoice"]
    search_fields = ["partner__name", "partner__email"]


@admin.register(AccessGrant)
class AccessGrantAdmin(ViewOnlyAdmin):
    list_display = ["contact", "product", "starts_at", "ends_at", "revoked_at", "revoke_reason"]
    list_filter = ["product", "revoke_reason"]
    list_select_related = ["contact", "product"]
    search_fields = ["contact__email", "contact__last_name", "product__name"]


@admin.register(Delivery)
class DeliveryAdmin(ViewOnlyAdmin):
    list_display = ["sent_at", "sent_to", "product", "payment"]
    list_select_related = ["product", "payment"]
    search_fields = ["sent_to", "product__name"]
