"""PCI SAQ A, for the whole suite: no request Paydesk's own views receive carries a card number.

Every request the test client or the live server (Chromium) sends goes through
BaseHandler.get_response, which the session fixture in tests/conftest.py wraps: a body or query
string holding a Luhn-valid 13-19 digit run is recorded with the test that sent it, and the
session fails at its end if any was. The sandbox processor's prefix is left out, as it plays
the processor's own domain, where the card is meant to go. Tests that post a card number on
purpose, to show it is refused, say so with `@pytest.mark.sends_card_numbers`.

Cheap: one regex over each body, nothing kept unless it matches.
"""

from urllib.parse import unquote_plus

from django.core.exceptions import RequestDataTooBig
from django.core.handlers.base import BaseHandler

from core.validators import holds_card_number

PROCESSOR_PREFIX = "/sandbox-gateway/"

found: list[str] = []
state = {"test": "", "allowed": False}


def carries_card_number(request) -> bool:
    try:
        body = request.body
    except RequestDataTooBig:
        return False  # refused by Django before any view reads it
    raw = body.decode("utf-8", errors="replace") + "&" + request.META.get("QUERY_STRING", "")
    return holds_card_number(unquote_plus(raw))


def recording(get_response):
    def get_response_recorded(handler: BaseHandler, request):
        if (
            not state["allowed"]
            and not request.path.startswith(PROCESSOR_PREFIX)
            and carries_card_number(request)
        ):
            found.append(f"{state['test']}: {request.method} {request.path}")
        return get_response(handler, request)

    return get_response_recorded
