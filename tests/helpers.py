"""Plain helpers the tests share (no fixtures here: those live in conftest.py and fixtures.py)."""

import html

from djmoney.money import Money

from billing.models import (
    Commission,
    Invoice,
    Journal,
    OrderChange,
    Payment,
    PaymentMethod,
    Refund,
)
from core.models import AuditEvent

HTMX = {"HTTP_HX_REQUEST": "true"}


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def text(response) -> str:
    """The page as a reader sees it (entities decoded), for asserting on messages."""
    return html.unescape(response.content.decode())


def counts() -> dict:
    """Rows every money action may write; a refused request changes none of them."""
    models = (Invoice, Payment, Refund, Journal, AuditEvent, PaymentMethod, OrderChange, Commission)
    return {m.__name__: m.objects.count() for m in models}
