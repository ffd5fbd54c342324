"""The shape every action view shares: access check, form, one action call, then either the
form again (422, nothing written) or the refreshed panel plus an event for the other panels."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from djmoney.money import Money

from billing.errors import BillingError
from billing.forms import ActionForm
from billing.models import Invoice
from billing.selectors import with_amounts
from contacts.views import render_panel
from core.htmx import announce_change, form_status, render_screen
from core.money import format_money


def require_perm(request: HttpRequest, perm: str) -> None:
    # The page hides what a user may not do; this is what actually refuses it.
    if not request.user.has_perm(perm):
        raise PermissionDenied


def invoice_for(request: HttpRequest, pk: int, perm: str) -> Invoice:
    require_perm(request, perm)
    qs = with_amounts(Invoice.objects.select_related("contact").filter(pk=pk))
    invoice = get_object_or_404(qs)
    invoice.due = Money(invoice.due_amount, invoice.currency)
    invoice.total = Money(invoice.total_amount, invoice.currency)
    return invoice


def run_action(
    request: HttpRequest,
    form: ActionForm,
    call: Callable[[dict], Any],
    *,
    contact,
    title: str,
    submit: str,
    action_url: str,
    message: Callable[[Any], str] | str,
    facts: list[tuple[str, Any]] = (),
    panel: str = "invoices",
    danger: bool = False,
    extra: dict | None = None,
    done: Callable[[str], HttpResponse] | None = None,
) -> HttpResponse:
    """`extra` adds to the form's context (a preview); `done` replaces the contact record's
    panel as the success response (the collections page refreshes its own list)."""
    if request.method == "POST" and form.is_valid():
        try:
            result = call(form.cleaned_data)
        except BillingError as exc:
            form.add_billing_error(exc)
        else:
            text = message(result) if callable(message) else message
            if done is not None:
                return done(text)
            return action_done(request, contact, panel=panel, message=text)
    return action_page(
        request, form, contact=contact, title=title, submit=submit, action_url=action_url,
        facts=facts, danger=danger, extra=extra,
    )  # fmt: skip


def action_page(request: HttpRequest, form: ActionForm, *, contact, title: str, submit: str,
                action_url: str, facts=(), danger: bool = False, extra: dict | None = None,
                ) -> HttpResponse:  # fmt: skip
    """The action's form (in place for htmx), 422 when it holds errors."""
    context = {
        "form": form,
        "contact": contact,
        "title": title,
        "submit": submit,
        "action_url": action_url,
        "danger": danger,
        "facts": [(label, _shown(value, contact)) for label, value in facts],
        **(extra or {}),
    }
    return render_screen(
        request, "billing/action.html", "action-form", context, status=form_status(form)
    )


def _shown(value: Any, contact) -> str:
    return format_money(value, contact.locale) if isinstance(value, Money) else str(value)


def action_done(request: HttpRequest, contact, *, panel: str, message: str) -> HttpResponse:
    if not request.htmx:
        messages.success(request, message)
        return redirect(contact)  # post/redirect/get: a reload does not repeat the action
    return announce_change(render_panel(request, contact, panel), panel, message)
