"""Real headless Chromium (Debian's) against the live server, through Playwright's sync API."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1360, "height": 900},
        timezone_id="Europe/Paris",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page: Page, user) -> None:
    user.set_password("pw")
    user.save()
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def settle(page) -> None:
    """Wait until no htmx request is in flight and the last swap has settled.

    An action's success makes every other panel refresh; clicking inside a panel before its
    refresh lands would open a form in a panel that is about to be replaced."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    page.wait_for_timeout(150)
