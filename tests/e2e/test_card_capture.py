"""The rep puts a card on file through the card capture widget, in Chromium, with the sandbox
gateway: the typed number goes from the browser to the sandbox processor only, and Paydesk's
form posts the setup id."""

import pytest
from playwright.sync_api import Page, expect

from billing.models import PaymentMethod
from tests.e2e.helpers import log_in, settle, snap

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _watch_posts(page: Page) -> list[tuple[str, str]]:
    posts: list[tuple[str, str]] = []
    page.on("request", lambda r: r.method == "POST" and posts.append((r.url, r.post_data or "")))
    return posts


def _open_widget(page: Page, contact) -> None:
    page.goto(contact.get_absolute_url())
    settle(page)
    page.get_by_role("link", name="Add card").click()
    expect(page.locator("[data-card-capture]")).to_be_visible()


def _type_card(page: Page, number: str, expiry: str = "12/34") -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry").fill(expiry)
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Add card").click()


def test_a_rep_adds_a_card_and_paydesk_never_sees_the_number(page, rep, contact):
    posts = _watch_posts(page)
    log_in(page, rep)
    _open_widget(page, contact)
    snap(page, "add-card")

    _type_card(page, "4242 4242 4242 4242", "11/33")

    expect(page.locator("#contact-header")).to_contain_text("Visa •••• 4242")
    card = PaymentMethod.objects.get(contact=contact)
    assert (card.last4, card.exp_month, card.exp_year, card.is_default) == ("4242", 11, 2033, True)
    with_number = [url for url, body in posts if "4242" in body.replace("+", "").replace("%20", "")]
    assert with_number and all("/sandbox-gateway/" in url for url in with_number)
    to_paydesk = [body for url, body in posts if "/billing/contacts/" in url]
    assert to_paydesk and all("setup=seti_sbx_" in body for body in to_paydesk)


def test_a_declined_card_is_told_at_the_widget_and_nothing_is_added(page, rep, contact):
    log_in(page, rep)
    _open_widget(page, contact)

    _type_card(page, "4000 0000 0000 0002")

    expect(page.locator("[data-card-error]")).to_contain_text("declined")
    assert not PaymentMethod.objects.exists()


def test_the_bank_challenge_is_answered_in_the_widget(page, rep, contact):
    log_in(page, rep)
    _open_widget(page, contact)

    _type_card(page, "4000 0025 0000 3155")
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.locator("[data-card-error]")).to_contain_text("could not authenticate")
    assert not PaymentMethod.objects.exists()

    _type_card(page, "4000 0025 0000 3155")
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.locator("#contact-header")).to_contain_text("Visa •••• 3155")
