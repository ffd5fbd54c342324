"""Admin for core's records, and the two admin building blocks every app uses.

`ViewOnlyAdmin` is for rows that only code may write: the audit trail, idempotency keys, the
ledger, money records. Staff can find and read them; the admin offers no add, change or delete,
so a POST to a change page is refused (403) rather than quietly saved. Admin forms that edit
money use core.forms.MoneyModelForm, the catalogue screens' rule.
"""

from django.conf import settings
from django.contrib import admin
from django.utils.text import Truncator

from core import clock
from core.admin_paging import EstimatedCountPaginator, indexed_values_filter
from core.models import AuditEvent, ClockOffset, IdempotencyKey


class ViewOnlyAdmin(admin.ModelAdmin):
    """Searchable and filterable, never writable: no add, change or delete for anyone.

    These tables grow to millions of rows: the pager counts by the planner's estimate
    (core.admin_paging), and dates are filtered by bounded ranges (DateFieldListFilter), not a
    date_hierarchy, whose year links need a DISTINCT over the whole table."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Rendering the rows is most of a page's time once the queries are bounded.
    list_per_page = 50

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        # Explicit, so the page reads the same whatever permissions the user holds.
        fields = [f.name for f in self.opts.concrete_fields]
        return [*fields, *(f for f in self.readonly_fields if f not in fields)]


class ViewOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyAdmin):
    """The audit trail: written by the actions in the change's own transaction, never edited."""

    list_display = [
        "created_at",
        "action",
        "actor",
        "subject_type",
        "subject_id",
        "contact_id",
        "amount",
        "short_reason",
    ]
    list_select_related = ["actor", "subject_type"]
    list_filter = [
        indexed_values_filter("action", "action"),
        ("created_at", admin.DateFieldListFilter),
        "subject_type",
    ]
    search_fields = ["action", "reason", "=subject_id", "=contact_id", "actor__username"]

    @admin.display(description="reason")
    def short_reason(self, event: AuditEvent) -> str:
        return Truncator(event.reason).chars(60)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ViewOnlyAdmin):
    """The first result of an action called with a key; replays depend on it staying put."""

    list_display = ["key", "action", "result_type", "result_id", "created_at"]
    list_select_related = ["result_type"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["key", "action"]


@admin.register(ClockOffset)
class ClockOffsetAdmin(admin.ModelAdmin):
    """The demo test clock: how far "now" is moved for every charge and dunning sweep.

    Editable only by superusers and only while PAYDESK_ALLOW_TEST_CLOCK is on (it follows
    DEBUG, so never in production); otherwise read-only like the other core rows."""

    list_display = ["pk", "seconds", "moved_now"]

    def _allowed(self, request) -> bool:
        return settings.PAYDESK_ALLOW_TEST_CLOCK and request.user.is_superuser

    def has_add_permission(self, request, obj=None) -> bool:
        return self._allowed(request) and not ClockOffset.objects.exists()

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    @admin.display(description="now, as the app sees it")
    def moved_now(self, obj: ClockOffset):
        return clock.now()
