"""Plain helpers the tests share (no fixtures here: those live in conftest.py and fixtures.py)."""

import html
import threading

from django.db import connection
from django.test import Client
from djmoney.money import Money

from billing.gateways import sandbox_cards
from billing.models import (
    Commission,
    Invoice,
    Journal,
    OrderChange,
    Payment,
    PaymentMethod,
    Refund,
)
from billing.steps.cards import start_capture
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


def sandbox_setup(
    contact, card: str = "pm_card_visa", *, expiry: tuple[int, int] = (12, 34)
) -> str:
    """What the card capture widget does in the browser with the sandbox gateway: start a setup
    for the contact, post the test card to the stand-in processor (an anonymous client: the
    processor's domain has no Paydesk session) and give back the setup id, which is all the
    Paydesk form receives. `card` names a sandbox test card."""
    setup = start_capture(contact)
    response = Client().post(
        setup.public,
        {
            "client_secret": setup.client_secret,
            "number": sandbox_cards.TEST_CARDS[card].number,
            "exp_month": expiry[0],
            "exp_year": expiry[1],
            "cvc": "123",
        },
    )
    assert response.status_code == 200, response.json()
    return setup.id


def race(n: int, work) -> list:
    """Run `work(i)` in n threads released at the same moment; return results or errors."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
