"""HTMX responses shared by every screen: one template per screen, inline partials for swaps.

A request from htmx gets the partial named like the DOM id it replaces; the same URL without
JavaScript gets the whole screen. Bad input answers 422 (htmx is configured to swap it, see
static/paydesk.js) so the rep sees the errors in place.
"""

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_vary_headers
from django_htmx.http import reswap, trigger_client_event

CHANGED = "money-changed"  # panels on the contact record listen for this event
SESSION_EXPIRED = "session-expired"  # paydesk.js shows a banner and leaves the form as typed


def render_screen(
    request: HttpRequest, template: str, partial: str, context: dict, *, status: int = 200
) -> HttpResponse:
    # Back/forward after the page left htmx's history cache asks for the whole page again,
    # still with HX-Request set: a fragment would become the entire document.
    fragment = request.htmx and not request.htmx.history_restore_request
    name = f"{template}#{partial}" if fragment else template
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


class HtmxResponsesMiddleware:
    """What every htmx answer needs, whichever view made it.

    - `Vary: HX-Request`: one URL answers a fragment or a page, so caches must keep both apart.
    - A request whose session has ended would be redirected to the login page, which htmx
      would follow and swap into the table in place of the form the rep was filling in. It
      gets 401 and a `session-expired` event instead: nothing is swapped, the typed input stays.

    Sits before LoginRequiredMiddleware so it sees that middleware's redirect.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        if request.headers.get("HX-Request") == "true" and _to_login(response):
            expired = HttpResponse("Your session has expired: log in again.", status=401)
            patch_vary_headers(expired, ("HX-Request",))
            login = resolve_url(settings.LOGIN_URL)
            return reswap(trigger_client_event(expired, SESSION_EXPIRED, {"login": login}), "none")
        return response


def _to_login(response: HttpResponse) -> bool:
    location = response.get("Location", "") if response.status_code == 302 else ""
    return location.split("?")[0] == resolve_url(settings.LOGIN_URL)
