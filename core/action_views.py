"""The shape every action view shares: access check, form, one action call, then either the
form again (422, nothing written) or what the calling page says is "done" (the contact record's
refreshed panel, the collections queue), plus an event for the other panels."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.module_loading import import_string
from djmoney.money import Money

from core.errors import ActionError
from core.forms import ActionForm
from core.htmx import announce_change, form_status, render_screen
from core.locales import money_text
from core.roles import refusal

Done = Callable[[str], HttpResponse]


def require_perm(request: HttpRequest, perm: str) -> None:
    # The page hides what a user may not do; this is what actually refuses it.
    if not request.user.has_perm(perm):
        raise PermissionDenied(refusal(perm))


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
    done: Done,
    facts: list[tuple[str, Any]] = (),
    danger: bool = False,
    extra: dict | None = None,
    offer: Callable[[ActionError], dict] | None = None,
) -> HttpResponse:
    """`extra` adds to the form's context (a preview); `done(message)` is the success response;
    `offer(error)` adds what the form offers after a refusal (billing's "Ask a manager")."""
    if request.method == "POST" and form.is_valid():
        try:
            result = call(form.cleaned_data)
        except ActionError as exc:
            form.add_action_error(exc)
            if offer is not None:
                extra = {**(extra or {}), **offer(exc)}
        else:
            return done(message(result) if callable(message) else message)
    return action_page(
        request,
        form,
        contact=contact,
        title=title,
        submit=submit,
        action_url=action_url,
        facts=facts,
        danger=danger,
        extra=extra,
    )


def action_page(
    request: HttpRequest,
    form: ActionForm,
    *,
    contact,
    title: str,
    submit: str,
    action_url: str,
    facts=(),
    danger: bool = False,
    extra: dict | None = None,
) -> HttpResponse:
    """The action's form (in place for htmx), 422 when it holds errors."""
    context = {
        "form": form,
        "contact": contact,
        "title": title,
        "submit": submit,
        "action_url": action_url,
        "danger": danger,
        "facts": [(label, _shown(request, value)) for label, value in facts],
        **(extra or {}),
    }
    return render_screen(
        request, "core/action.html", "action-form", context, status=form_status(form)
    )


def _shown(request: HttpRequest, value: Any) -> str:
    return money_text(request, value) if isinstance(value, Money) else str(value)


def action_done(request: HttpRequest, contact, *, panel: str, message: str) -> HttpResponse:
    """Back on the contact record with `panel` refreshed. The record is the workspace's page,
    above every app: settings.PAYDESK_RECORD_PANEL names its panel renderer, so no app imports
    the workspace to answer with it."""
    if not request.htmx:
        messages.success(request, message)
        return redirect(contact)  # post/redirect/get: a reload does not repeat the action
    render_panel = import_string(settings.PAYDESK_RECORD_PANEL)
    return announce_change(render_panel(request, contact, panel), panel, message)


def record_done(request: HttpRequest, contact, panel: str) -> Done:
    """The `done` of an action started from the contact record."""
    return lambda message: action_done(request, contact, panel=panel, message=message)
