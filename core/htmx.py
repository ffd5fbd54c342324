"""HTMX responses shared by every screen: one template per screen, inline partials for swaps.

A request from htmx gets the partial named like the DOM id it replaces; the same URL without
JavaScript gets the whole screen. Bad input answers 422 (htmx is configured to swap it, see
static/paydesk.js) so the rep sees the errors in place.
"""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import trigger_client_event

CHANGED = "money-changed"  # panels on the contact record listen for this event


def render_screen(
    request: HttpRequest, template: str, partial: str, context: dict, *, status: int = 200
) -> HttpResponse:
    name = f"{template}#{partial}" if request.htmx else template
    return render(request, name, context, status=status)


def form_status(form: forms.BaseForm | forms.BaseFormSet) -> int:
    return 422 if form.is_bound and not form.is_valid() else 200


def announce_change(response: HttpResponse, panel: str, message: str = "") -> HttpResponse:
    """Tell the other panels something changed; `panel` was already re-rendered."""
    return trigger_client_event(response, CHANGED, {"panel": panel, "message": message})


def form_data(request: HttpRequest):
    """The POST data to bind a form to, even when empty (`request.POST or None` would treat an
    empty POST as a GET and silently skip the action)."""
    return request.POST if request.method == "POST" else None
