"""Steps every browser scenario takes: log in, wait for htmx to settle, save a screenshot."""

from pathlib import Path

from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


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


def settle(page: Page) -> None:
    """Wait until no htmx request is in flight and the last swap has settled.

    An action's success makes every other panel refresh; clicking inside a panel before its
    refresh lands would open a form in a panel that is about to be replaced."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    page.wait_for_timeout(150)
