"""Dunning in the admin: policies and their notice templates are edited here (or on the policy
settings page); cases, attempts and sent notices are view-only, because a case changes only
through dunning's actions and tasks, which write the audit trail an admin edit would skip.

List pages select the foreign keys they show, so a page's query count does not grow with it.
"""

from django.contrib import admin

from core.admin import ViewOnlyAdmin, ViewOnlyInline
from core.forms import form_changes
from dunning.actions import save_policy
from dunning.forms import DunningPolicyForm, NoticeForm
from dunning.models import DunningAttempt, DunningCase, DunningPolicy, NoticeSent, NoticeTemplate


class NoticeTemplateInline(admin.StackedInline):
    model = NoticeTemplate
    form = NoticeForm  # the settings page's checks: known variables only, no card numbers
    extra = 0
    max_num = len(NoticeTemplate.Kind.choices)


@admin.register(DunningPolicy)
class DunningPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_default",
        "interval_days",
        "window_days",
        "max_attempts",
        "try_other_cards",
        "final_action",
    ]
    list_filter = ["is_default", "final_action", "try_other_cards"]
    search_fields = ["name"]
    inlines = [NoticeTemplateInline]
    # The settings page's form: intervals of at least a day, and a change of default allowed.
    form = DunningPolicyForm

    def save_model(self, request, obj: DunningPolicy, form, change: bool) -> None:
        """Saved with its notices in save_related, as one audited action."""

    def save_related(self, request, form, formsets, change: bool) -> None:
        # The settings page's action, so an admin edit hands over the default and is audited
        # alike, notice texts included, in one event.
        notices = []
        for formset in formsets:
            notices += formset.save(commit=False)
            for gone in formset.deleted_objects:
                gone.delete()
        save_policy(form.instance, changes=form_changes(form), notices=notices, actor=request.user)


class DunningAttemptInline(ViewOnlyInline):
    model = DunningAttempt
    fields = ["number", "at", "card", "payment", "outcome", "decline_code"]
    readonly_fields = fields


@admin.register(DunningCase)
class DunningCaseAdmin(ViewOnlyAdmin):
    list_display = [
        "pk",
        "contact",
        "invoice",
        "status",
        "amount",
        "attempts_made",
        "next_attempt_at",
        "last_decline_code",
        "policy",
    ]
    list_filter = [
        "status",
        "policy",
        "last_decline_code",
        ("failed_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["contact", "invoice", "policy"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__email"]
    inlines = [DunningAttemptInline]


@admin.register(DunningAttempt)
class DunningAttemptAdmin(ViewOnlyAdmin):
    list_display = ["case", "number", "at", "card", "outcome", "decline_code"]
    list_filter = ["outcome", "decline_code"]
    list_select_related = ["case", "card"]
    search_fields = ["case__contact__last_name", "case__contact__email"]


@admin.register(NoticeSent)
class NoticeSentAdmin(ViewOnlyAdmin):
    list_display = ["case", "kind", "attempt", "to", "sent_at"]
    list_filter = ["kind"]
    list_select_related = ["case"]
    search_fields = ["to"]
