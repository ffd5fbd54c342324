"""The locale the person at the screen reads money in: their browser's, never the contact's.

A contact's locale is for what the contact receives (invoices, notices). Showing a rep a
French contact's "90,500 KWD" beside an English flash's "KWD 30.250" made ninety fils read as
ninety thousand; every amount on a rep's page goes through `core.money.format_money` with
this one locale instead.
"""

from babel import Locale, UnknownLocaleError
from django.http import HttpRequest
from djmoney.money import Money

from core.money import format_money

DEFAULT = "en_US"


def request_locale(request: HttpRequest) -> str:
    """The first locale babel knows from the browser's Accept-Language, else en_US."""
    cached = getattr(request, "_paydesk_locale", None)
    if cached:
        return cached
    request._paydesk_locale = _negotiate(request.headers.get("Accept-Language", ""))
    return request._paydesk_locale


def money_text(request: HttpRequest, amount: Money) -> str:
    """An amount for a message shown to the person making the request."""
    return format_money(amount, request_locale(request))


def locale(request: HttpRequest) -> dict:
    """Context processor: `{{ amount|money:locale }}` on every screen."""
    return {"locale": request_locale(request)}


def _negotiate(header: str) -> str:
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*":
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        try:
            found = Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
        return str(found)
    return DEFAULT
